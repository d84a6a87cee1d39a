package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The emulator's servers take longer to shut down than the shutdown action runs, so that the
// provider has to read the server until it is off.
var powerTimes = emulator.Options{
	ActionDuration:      time.Second,
	PowerActionDuration: 200 * time.Millisecond,
	ShutdownDuration:    600 * time.Millisecond,
}

var consistentHistory = []string{"shutdown_server", "stopping", "off", "create_image (off)", "start_server", "starting", "running"}

func wantServer(t *testing.T, emu *emulator.Emulator, id int64, status string, history []string) {
	t.Helper()
	for _, s := range emu.Servers() {
		if s.ID == id && s.Status != status {
			t.Errorf("server %d is %q, want %q", id, s.Status, status)
		}
	}
	if got := emu.ServerHistory(id); !slices.Equal(got, history) {
		t.Errorf("history of server %d:\n got %v\nwant %v", id, got, history)
	}
}

const consistentSnapshotHCL = `
resource "hetzner_image" "x" {
  server_id              = 101
  shutdown_before_create = true
}
`

// TestAccConsistentSnapshot_requests counts what one consistent snapshot costs: the power and
// create requests exactly, the reads as they come (they depend on how long things take).
func TestAccConsistentSnapshot_requests(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, powerTimes)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(consistentSnapshotHCL)
	if out, err := w.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	wantServer(t, emu, emulator.SeedServerNoBackups, emulator.ServerStatusRunning, consistentHistory)
	got := emu.Requests()
	for route, want := range map[string]int{
		"POST /v1/servers/{id}/actions/shutdown":     1,
		"POST /v1/servers/{id}/actions/create_image": 1,
		"POST /v1/servers/{id}/actions/poweron":      1,
		"POST /v1/servers/{id}/actions/poweroff":     0,
		"GET /v1/images/{id}":                        1,
	} {
		if got[route] != want {
			t.Errorf("%s: %d requests, want %d", route, got[route], want)
		}
	}
	t.Logf("one consistent snapshot (actions of 1s, power actions of 200ms, shutdown in 600ms, poll_interval 50ms): %d requests: %v",
		emu.TotalRequests(), got)
}

// copyingWorkspace is a workspace on an emulator whose servers shut down as powerTimes says and
// whose images take 4 s to write, and a channel closed once the API answered a create request:
// the moment to interrupt a consistent create while the server is off.
func copyingWorkspace(t *testing.T) (*emulator.Emulator, *workspace, <-chan struct{}) {
	opts := powerTimes
	opts.ActionDuration = 4 * time.Second
	var copying <-chan struct{}
	opts.OnResponse, copying = createAnswered()
	emu, endpoint := emulatortest.Start(t, opts)
	return emu, newWorkspace(t, endpoint, emulatortest.Token), copying
}

// TestAccConsistentSnapshot_interruptPowersTheServerOnAgain presses Ctrl-C while the image is
// being written: the CLI and the provider get SIGINT, as from a terminal, and the server must
// be running when the CLI has exited.
func TestAccConsistentSnapshot_interruptPowersTheServerOnAgain(t *testing.T) {
	// The interrupt comes once the API has answered the create request: the server is off and
	// its disk is being copied.
	emu, w, copying := copyingWorkspace(t)
	w.write(consistentSnapshotHCL)

	out, err := w.interruptOnce(copying, 0, "apply", "-auto-approve")
	if err == nil {
		t.Fatalf("apply succeeded despite the interrupt:\n%s", out.String())
	}
	wantServer(t, emu, emulator.SeedServerNoBackups, emulator.ServerStatusRunning, consistentHistory)
	t.Logf("power-on requests: %d (the copy locks the server until it ends)", emu.RequestCount("POST", "/v1/servers/{id}/actions/poweron"))
	if !strings.Contains(oneLine(out.String()), "Interrupt received") {
		t.Errorf("the CLI did not see the interrupt:\n%s", out.String())
	}
	// The image is in the state (tainted), so the next apply replaces it and destroy deletes it.
	if len(w.managedImages()) != 1 {
		t.Errorf("the state holds %v, want the interrupted image", w.managedImages())
	}
	if out, err := w.run("destroy", "-auto-approve"); err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	if left := emu.ImagesOfType("snapshot"); len(left) != 0 {
		t.Errorf("destroy left %d snapshots", len(left))
	}
}

func TestAccSkipDestroy_warnsWithTheIdAndTheImageCanBeImportedAgain(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 100 * time.Millisecond})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(`
resource "hetzner_image" "x" {
  server_id    = 101
  skip_destroy = true
}
`)
	if out, err := w.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	id := w.managedImages()["hetzner_image.x"].ID
	emu.ResetRequests()
	out, err := w.run("destroy", "-auto-approve")
	if err != nil {
		t.Fatalf("destroy: %v\n%s", err, out)
	}
	for _, want := range []string{
		"Warning: Image Kept in Hetzner Cloud",
		"skip_destroy is set, so image " + id + " was removed from the Terraform state and left in Hetzner Cloud",
		"terraform import <resource address> " + id + `, or an import block with id = "` + id + `"`,
	} {
		if !strings.Contains(oneLine(out), want) {
			t.Errorf("destroy output lacks %q:\n%s", want, out)
		}
	}
	if n := emu.RequestCount("DELETE", "/v1/images/{id}"); n != 0 {
		t.Errorf("%d DELETE requests, want none", n)
	}
	if len(w.managedImages()) != 0 || len(emu.ImagesOfType("snapshot")) != 1 {
		t.Fatalf("state %v, emulator %v: want the image forgotten and kept", w.managedImages(), emu.ImagesOfType("snapshot"))
	}
	if out, err := w.run("import", "hetzner_image.x", id); err != nil {
		t.Fatalf("import as the warning says: %v\n%s", err, out)
	}
	// An import cannot know the configuration's skip_destroy; the plan sets it, in place.
	out, err = w.run("plan", "-detailed-exitcode")
	if err == nil || !strings.Contains(oneLine(out), "~ skip_destroy = false -> true # (17 unchanged attributes hidden) } Plan: 0 to add, 1 to change, 0 to destroy.") {
		t.Errorf("the plan after the import should only set skip_destroy: %v\n%s", err, out)
	}
}

// TestAccGuide_snapshotBeforeUpgrade runs the guide's configuration as written, with one
// change: the emulator does not create servers, so server.tf finds the server with the
// official provider's data source instead of creating it. The upgrade that replaces the
// server is played by pointing it at a second server.
func TestAccGuide_snapshotBeforeUpgrade(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, powerTimes)
	upgraded := emu.AddServer(emulator.Server{Name: "web-2", DiskSize: 40, OSFlavor: "ubuntu", OSVersion: "26.04"})
	w := newWorkspace(t, endpoint, emulatortest.Token, withPeer())
	files := exampleFiles(t, "guides/snapshot-before-upgrade")
	if !strings.Contains(files["main.tf"], "hcloud_server.web.id") || !strings.Contains(files["server.tf"], `resource "hcloud_server" "web"`) {
		t.Fatal("the guide no longer pairs hetzner_image with resource \"hcloud_server\" \"web\": update this test")
	}
	w.writeFile("versions.tf", files["versions.tf"])
	w.writeFile("main.tf", strings.ReplaceAll(files["main.tf"], "hcloud_server.web.id", "data.hcloud_server.web.id"))
	w.writeFile("server.tf", `
variable "os_image" {
  type    = string
  default = "ubuntu-24.04"
}

variable "server_name" {
  type = string
}

data "hcloud_server" "web" {
  name = var.server_name
}
`)
	run := func(args ...string) string {
		t.Helper()
		out, err := w.run(args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		return out
	}

	run("apply", "-auto-approve", "-var", "server_name=web-1")
	wantServer(t, emu, emulator.SeedServerNoBackups, emulator.ServerStatusRunning, consistentHistory)
	before := w.managedImages()["hetzner_image.before_upgrade"].ID
	run("plan", "-detailed-exitcode", "-var", "server_name=web-1")

	// The upgrade: another server, another image name.
	out := run("apply", "-auto-approve", "-var", "server_name=web-2", "-var", "os_image=ubuntu-26.04")
	if !strings.Contains(oneLine(out), "so image "+before+" was removed from the Terraform state and left in Hetzner Cloud") {
		t.Errorf("the replacement did not warn about the kept image %s:\n%s", before, out)
	}
	wantServer(t, emu, upgraded.ID, emulator.ServerStatusRunning, consistentHistory)
	after := w.managedImages()["hetzner_image.before_upgrade"].ID
	run("plan", "-detailed-exitcode", "-var", "server_name=web-2", "-var", "os_image=ubuntu-26.04")

	run("destroy", "-auto-approve", "-var", "server_name=web-2", "-var", "os_image=ubuntu-26.04")
	var kept []string
	for _, img := range emu.ImagesOfType("snapshot") {
		kept = append(kept, fmt.Sprintf("%d %s %s", img.ID, img.Labels["os"], img.Description))
	}
	want := []string{
		before + " ubuntu-24.04 web-1 on ubuntu-24.04, before the next upgrade",
		after + " ubuntu-26.04 web-1 on ubuntu-26.04, before the next upgrade",
	}
	if !slices.Equal(kept, want) {
		t.Errorf("snapshots after the upgrade and destroy:\n got %q\nwant %q", kept, want)
	}
}
