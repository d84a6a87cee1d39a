package e2e

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The hetzner_create_image action, run by a real CLI: apply -invoke, and action_trigger on the
// official provider's hcloud_server. Actions need Terraform 1.14 or newer; each test skips
// below it (Terraform 1.16.0 of the matrix runs them all).

const invokeNightly = "-invoke=action.hetzner_create_image.nightly"

// nightlyActionHCL is an action that takes a consistent snapshot of web-1 and keeps the last two.
const nightlyActionHCL = `
action "hetzner_create_image" "nightly" {
  config {
    server_id              = 101
    description            = "web-1 nightly"
    labels                 = { rotation = "nightly" }
    shutdown_before_create = true
    keep_last              = 2
  }
}
`

// labelledSnapshots returns the snapshots of a server that carry the label, oldest first.
func labelledSnapshots(emu *emulator.Emulator, serverID int64, key, value string) []emulator.Image {
	var out []emulator.Image
	for _, img := range emu.ImagesOfType("snapshot") {
		if img.CreatedFrom != nil && img.CreatedFrom.ID == serverID && img.Labels[key] == value {
			out = append(out, img)
		}
	}
	slices.SortFunc(out, func(a, b emulator.Image) int { return int(a.ID - b.ID) })
	return out
}

// TestAccActionCreateImage_invokeThreeTimesKeepsTheLastTwo invokes the action three times with
// keep_last = 2: the two newest images with the labels remain, the oldest is deleted, an older
// protected one with the same labels stays (a warning names it), and so does an image of
// another server with the same labels. Each run says what it did, and names its image.
func TestAccActionCreateImage_invokeThreeTimesKeepsTheLastTwo(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, powerTimes)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	skipBelowTerraform114(t, w)
	labels := map[string]string{"rotation": "nightly"}
	protected := emu.AddImage(emulator.Image{Description: "web-1, kept for the audit", DiskSize: 40, OSFlavor: "ubuntu",
		Status: emulator.ImageStatusAvailable, Created: time.Now().Add(-2 * time.Hour), Protection: emulator.Protection{Delete: true},
		CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}, Labels: labels})
	otherServer := emu.AddImage(emulator.Image{Description: "db-1 nightly", DiskSize: 40, OSFlavor: "ubuntu",
		Status: emulator.ImageStatusAvailable, Created: time.Now().Add(-3 * time.Hour),
		CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerBackups, Name: "db-1"}, Labels: labels})
	w.write(nightlyActionHCL)

	var made []int64
	for run := 1; run <= 3; run++ {
		out, err := w.run("apply", "-auto-approve", invokeNightly)
		if err != nil {
			t.Fatalf("invoke %d: %v\n%s", run, err, out)
		}
		all := labelledSnapshots(emu, emulator.SeedServerNoBackups, "rotation", "nightly")
		newest := all[len(all)-1]
		if slices.Contains(made, newest.ID) || newest.ID == protected.ID {
			t.Fatalf("invoke %d made no new snapshot: %v", run, imageIDs(all))
		}
		made = append(made, newest.ID)
		flat := oneLine(out)
		id := strconv.FormatInt(newest.ID, 10)
		for _, want := range []string{
			"Shutting down server 101 (web-1) for a consistent image",
			"Image " + id + " exists (a snapshot of server 101); it is being written",
			"Image " + id + " is written",
			"Server 101 (web-1) is running again",
			"Image " + id + " is ready. To manage it with Terraform, import it: terraform import hetzner_image.NAME " + id,
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("invoke %d: the CLI did not print %q:\n%s", run, want, out)
			}
		}
		protectedWarning := fmt.Sprintf("Image %d is older than the 2 kept by keep_last but has delete protection", protected.ID)
		if got := strings.Contains(flat, protectedWarning); got != (run > 1) {
			t.Errorf("invoke %d: warned about the protected image: %t, want %t:\n%s", run, got, run > 1, out)
		}
		if run == 3 {
			if want := fmt.Sprintf("keep_last: deleted image %d", made[0]); !strings.Contains(flat, want) {
				t.Errorf("invoke 3 did not say %q:\n%s", want, out)
			}
			t.Logf("what the CLI printed during the third invoke:\n%s", out)
		}
		wantServer(t, emu, emulator.SeedServerNoBackups, emulator.ServerStatusRunning, slices.Repeat(consistentHistory, run))
	}

	got := imageIDs(labelledSnapshots(emu, emulator.SeedServerNoBackups, "rotation", "nightly"))
	if want := []int64{protected.ID, made[1], made[2]}; !slices.Equal(got, want) {
		t.Errorf("snapshots of web-1 labelled rotation=nightly: %v, want the protected %d and the two newest %v", got, protected.ID, made[1:])
	}
	if _, ok := emu.Image(otherServer.ID); !ok {
		t.Errorf("the snapshot %d of another server with the same labels was deleted", otherServer.ID)
	}
	if n := emu.RequestCount("DELETE", "/v1/images/{id}"); n != 1 {
		t.Errorf("%d DELETE requests, want 1 (the oldest of the action's images)", n)
	}
}
