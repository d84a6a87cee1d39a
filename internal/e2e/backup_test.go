package e2e

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// TestAccBackupRemovedByTheAPIIsPlannedAgain covers the two ways a backup vanishes without
// anyone deleting it: backups disabled on its server (which removes them all) and the daily
// backups pushing it out of the server's seven slots. Each time the next plan warns and
// creates it again, and the apply makes a backup of its own instead of adopting one of the
// automatic backups around it.
func TestAccBackupRemovedByTheAPIIsPlannedAgain(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 1, BackupDuration: 1})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(`
resource "hetzner_image" "nightly" {
  server_id = 102
  type      = "backup"
  labels    = { role = "db" }
}
`)
	apply := func() string {
		t.Helper()
		out, err := w.run("apply", "-auto-approve")
		if err != nil {
			t.Fatalf("apply: %v\n%s", err, out)
		}
		return w.managedImages()["hetzner_image.nightly"].ID
	}
	planWarnsAndRecreates := func(id, why string) {
		t.Helper()
		out, err := w.run("plan")
		if err != nil {
			t.Fatalf("plan: %v\n%s", err, out)
		}
		flat := oneLine(out)
		if !strings.Contains(flat, "Warning: Image Deleted Outside Terraform") || !strings.Contains(flat, "Image "+id+" no longer exists") ||
			!strings.Contains(flat, "hetzner_image.nightly will be created") || !strings.Contains(flat, "1 to add, 0 to change, 0 to destroy") {
			t.Errorf("after %s the plan does not warn and create the backup again:\n%s", why, out)
		}
	}

	first := apply()
	postServerAction(t, endpoint, 102, "disable_backup")
	planWarnsAndRecreates(first, "disable_backup")
	postServerAction(t, endpoint, 102, "enable_backup")

	second := apply()
	if second == first {
		t.Fatalf("the backup was not made again")
	}
	for range 7 {
		if _, _, ok := emu.RunDailyBackup(102); !ok {
			t.Fatal("no daily backup on server 102")
		}
	}
	planWarnsAndRecreates(second, "seven daily backups")
	third := apply()
	id, _ := strconv.ParseInt(third, 10, 64)
	img, ok := emu.Image(id)
	if !ok || img.Labels["role"] != "db" || img.Type != "backup" {
		t.Errorf("the state points at %s, which is not a backup of ours: %+v", third, img)
	}
	if n := len(emu.ImagesOfType("backup")); n != 7 {
		t.Errorf("%d backups on the server, want seven slots filled", n)
	}
}

// postServerAction sends a server action as another tool (the hcloud CLI, the Console) would.
func postServerAction(t *testing.T, endpoint string, serverID int64, action string) {
	t.Helper()
	url := endpoint + "/servers/" + strconv.FormatInt(serverID, 10) + "/actions/" + action
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+emulatortest.Token)
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("%s on server %d: HTTP %d", action, serverID, resp.StatusCode)
	}
}
