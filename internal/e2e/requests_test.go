package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// These tests pin request counts that do not depend on timing: what one Terraform command
// costs in API requests.

func TestAccRequests_importFetchesTheImageOnce(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{})
	img := addSnapshots(emu, 1)[0]
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(`resource "hetzner_image" "x" { server_id = 101 }`)
	emu.ResetRequests()
	if out, err := w.run("import", "hetzner_image.x", fmt.Sprint(img)); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// ImportState reads the image; the Read that Terraform makes right after reuses it.
	if got := emu.Requests(); len(got) != 1 || got["GET /v1/images/{id}"] != 1 {
		t.Errorf("import cost %v, want exactly one GET /v1/images/{id}", got)
	}
}

func TestAccRequests_refreshOfManyImagesListsThemOnce(t *testing.T) {
	// Small refreshes keep one GET per image; from the eighth Read on, the list of the
	// project's snapshots and backups (50 a page) answers the rest. Its pages are bought as soon
	// as the GETs already sent are as many as the pages left: with seven GETs, at once for a
	// project of up to 400 images.
	for _, tc := range []struct{ n, gets, lists int }{{5, 5, 0}, {20, 7, 1}, {120, 7, 3}} {
		t.Run(fmt.Sprint(tc.n, " images"), func(t *testing.T) {
			t.Parallel()
			emu, endpoint := emulatortest.Start(t, emulator.Options{})
			ids := addSnapshots(emu, tc.n)
			w := newWorkspace(t, endpoint, emulatortest.Token)
			var hcl strings.Builder
			for i, id := range ids {
				fmt.Fprintf(&hcl, "import {\n  to = hetzner_image.s%d\n  id = \"%d\"\n}\n"+
					"resource \"hetzner_image\" \"s%d\" {\n  server_id   = 101\n  description = \"bench %d\"\n  labels      = { bench = \"yes\" }\n}\n", i, id, i, i)
			}
			w.write(hcl.String())
			if out, err := w.run("apply", "-auto-approve"); err != nil {
				t.Fatalf("import: %v\n%s", err, out)
			}
			emu.ResetRequests()
			if out, err := w.run("plan", "-detailed-exitcode"); err != nil {
				t.Fatalf("plan: %v\n%s", err, out)
			}
			got := emu.Requests()
			if got["GET /v1/images/{id}"] != tc.gets || got["GET /v1/images"] != tc.lists || emu.TotalRequests() != tc.gets+tc.lists {
				t.Errorf("refreshing %d images cost %v, want %d GETs and %d list pages", tc.n, got, tc.gets, tc.lists)
			}
		})
	}
}

func TestAccReadWarnsWhenTheImageWasDeletedOutsideTerraform(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 1})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(`resource "hetzner_image" "x" { server_id = 101 }`)
	if out, err := w.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	id := w.managedImages()["hetzner_image.x"].ID
	for _, img := range emu.ImagesOfType("snapshot") {
		emu.RemoveImage(img.ID)
	}
	out, err := w.run("plan")
	if err != nil {
		t.Fatalf("plan: %v\n%s", err, out)
	}
	want := "Image " + id + " no longer exists in Hetzner Cloud, so it was removed from the Terraform state; " +
		"the next apply creates it again if the configuration still declares it."
	flat := oneLine(out)
	if !strings.Contains(flat, "Warning: Image Deleted Outside Terraform") || !strings.Contains(flat, want) ||
		!strings.Contains(flat, "hetzner_image.x will be created") {
		t.Errorf("the plan does not warn and re-create:\n%s", out)
	}
}

func TestAccRequests_manyCreatesReadTheirImagesTogether(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 2 * time.Second})
	servers := addServers(emu, 20)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	var hcl strings.Builder
	for i, id := range servers {
		fmt.Fprintf(&hcl, "resource \"hetzner_image\" \"s%d\" {\n  server_id = %d\n}\n", i, id)
	}
	w.write(hcl.String())
	w.writeProvider("") // the default poll interval, whose half is how long reads are gathered
	if out, err := w.run("apply", "-auto-approve", "-parallelism=20"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	// Each create reads its image once its action has ended. The reads that come together
	// share a list of the newest images; an image listed before its action ended is fetched
	// again. Twenty reads must cost well under twenty requests.
	got := emu.Requests()
	if reads := got["GET /v1/images"] + got["GET /v1/images/{id}"]; got["GET /v1/images"] == 0 || reads > len(servers)/2 {
		t.Errorf("reading 20 new images cost %v; want lists, and at most 10 requests in all", got)
	}
	st := w.state()
	for _, r := range st.Values.RootModule.Resources {
		if r.AttributeValues["status"] != "available" || r.AttributeValues["image_size"] == nil {
			t.Errorf("%s: status %v, image_size %v; want available with a size", r.Address, r.AttributeValues["status"], r.AttributeValues["image_size"])
		}
	}
	if len(st.Values.RootModule.Resources) != len(servers) {
		t.Errorf("%d images in the state, want %d", len(st.Values.RootModule.Resources), len(servers))
	}
}
