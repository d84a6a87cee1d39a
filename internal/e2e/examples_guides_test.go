package e2e

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// guideRun is what a guide's next steps (exampleRun.then) work with.
type guideRun struct {
	w   *workspace
	emu *emulator.Emulator
	run func(args ...string) string // fails the test on an error; adds the run's variables
}

// server is the emulator's server that hcloud_server.web in the state names.
func (g guideRun) server(t *testing.T) emulator.Server {
	t.Helper()
	r, ok := g.w.resources(tfjson.ManagedResourceMode, "hcloud_server")["hcloud_server.web"]
	if !ok {
		t.Fatal("the state has no hcloud_server.web")
	}
	id, _ := r.AttributeValues["id"].(string)
	for _, s := range g.emu.Servers() {
		if strconv.FormatInt(s.ID, 10) == id {
			return s
		}
	}
	t.Fatalf("the emulator has no server %s", id)
	return emulator.Server{}
}

// webSnapshot adds a snapshot of web-1 with the labels the restore guide selects, created
// age after now.
func webSnapshot(emu *emulator.Emulator, description string, age time.Duration, status string) emulator.Image {
	return emu.AddImage(emulator.Image{
		Description: description, DiskSize: 40, OSFlavor: "ubuntu", Status: status, Created: time.Now().Add(age),
		CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"},
		Labels:      map[string]string{"env": "prod", "role": "web"},
	})
}

// restoreFromTheNewestSnapshot: a newer snapshot does not replace the running server on the
// next plan (ignore_changes); apply -replace restores from the newest available one, not from
// a newer one still being written.
func restoreFromTheNewestSnapshot(t *testing.T, g guideRun) []int64 {
	before := g.server(t)
	newer := webSnapshot(g.emu, "web-1 nightly", time.Hour, emulator.ImageStatusAvailable)
	writing := webSnapshot(g.emu, "web-1 being written", 2*time.Hour, emulator.ImageStatusCreating)
	if out := g.run("plan"); strings.Contains(out, "Plan:") {
		t.Errorf("a newer snapshot changes the plan:\n%s", out)
	}
	g.run("apply", "-auto-approve", "-replace=hcloud_server.web")
	g.run("plan", "-detailed-exitcode")
	after := g.server(t)
	if after.ID == before.ID || after.ImageID != newer.ID || after.Status != emulator.ServerStatusRunning {
		t.Errorf("restored server %d from image %d (%s), want a new server from the newest available snapshot %d (before: server %d from %d)",
			after.ID, after.ImageID, after.Status, newer.ID, before.ID, before.ImageID)
	}
	if !slices.Equal(after.SSHKeys, before.SSHKeys) || len(after.SSHKeys) != 1 {
		t.Errorf("the restored server has the keys %v, the one before %v; want the guide's one key", after.SSHKeys, before.SSHKeys)
	}
	resizeInPlace(t, g, after)
	return []int64{newer.ID, writing.ID}
}

// resizeInPlace: a bigger server_type and back resize the same server, which runs again after
// each, its disk kept (keep_disk).
func resizeInPlace(t *testing.T, g guideRun, before emulator.Server) {
	t.Helper()
	for _, typ := range []string{"cx33", "cx23"} {
		g.run("apply", "-auto-approve", "-var", "server_type="+typ)
		g.run("plan", "-detailed-exitcode", "-var", "server_type="+typ)
		after := g.server(t)
		if after.ID != before.ID || after.ServerType != typ || after.DiskSize != before.DiskSize || after.Status != emulator.ServerStatusRunning {
			t.Errorf("server_type=%s: server %d is a %s with %g GB, %s; want server %d resized in place, %g GB, running",
				typ, after.ID, after.ServerType, after.DiskSize, after.Status, before.ID, before.DiskSize)
		}
	}
	if h := g.emu.ServerHistory(before.ID); !slices.Contains(h, "change_server_type (cx23 to cx33)") || !slices.Contains(h, "change_server_type (cx33 to cx23)") {
		t.Errorf("the server's history lacks the two resizes: %v", h)
	}
}

// upgradeKeepsTheSnapshot: a new os_image replaces the server; the snapshot taken before
// stays (skip_destroy) and the new server gets its own, taken while it was off.
func upgradeKeepsTheSnapshot(t *testing.T, g guideRun) []int64 {
	var kept []int64
	for _, img := range g.w.managedImages() {
		id, _ := strconv.ParseInt(img.ID, 10, 64)
		kept = append(kept, id)
	}
	before := g.server(t)
	// The hardware upgrade first: the same server, so the snapshot stays as it is.
	resizeInPlace(t, g, before)
	if got := g.w.managedImages(); len(got) != len(kept) {
		t.Errorf("the resize changed the images in the state: %v", got)
	}
	g.run("apply", "-auto-approve", "-var", "os_image=debian-12")
	g.run("plan", "-detailed-exitcode", "-var", "os_image=debian-12")
	after := g.server(t)
	if after.ID == before.ID || after.ImageID != emulator.SeedImageDebian12 || after.Status != emulator.ServerStatusRunning {
		t.Errorf("upgraded server %d from image %d (%s), want a new running server from debian-12", after.ID, after.ImageID, after.Status)
	}
	for _, id := range kept {
		if img, ok := g.emu.Image(id); !ok || img.OSFlavor != "ubuntu" {
			t.Errorf("the snapshot before the upgrade, %d, is gone or changed: %+v", id, img)
		}
	}
	if h := g.emu.ServerHistory(after.ID); !slices.Contains(h, "create_image (off)") {
		t.Errorf("the new server's snapshot was not taken while it was off: %v", h)
	}
	return kept
}
