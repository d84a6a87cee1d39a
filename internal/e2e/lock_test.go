package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// TestAccLastingLockIsNamed holds a server with a long action of its own (a rebuild) past the
// create timeout: the create waits, its log says what holds the server, and the error it ends
// with names the action, and nothing is made.
func TestAccLastingLockIsNamed(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 1})
	busy, _ := emu.BusyServer(emulator.SeedServerNoBackups, "rebuild_server", time.Hour)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(`
resource "hetzner_image" "x" {
  server_id = 101
  timeouts {
    create = "3s"
  }
}
`)
	out, err := w.runEnv([]string{"TF_LOG_PROVIDER=INFO"}, "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("the create succeeded on a locked server:\n%s", out)
	}
	flat := oneLine(out)
	holder := fmt.Sprintf("server 101 is busy with action %d (rebuild_server", busy.ID)
	if !strings.Contains(flat, holder) {
		t.Errorf("the log does not say what holds the server (%q):\n%s", holder, out)
	}
	if want := fmt.Sprintf("server 101 was busy with action %d (rebuild_server", busy.ID); !strings.Contains(flat, want) ||
		!strings.Contains(flat, "The server stayed busy with other actions until the create timeout ran out") {
		t.Errorf("the error does not name the action that held the server (%q):\n%s", want, out)
	}
	if n := len(emu.ImagesOfType("snapshot")); n != 0 {
		t.Errorf("%d snapshots made on a locked server", n)
	}
}
