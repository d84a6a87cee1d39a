package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// Adopting existing images with terraform query (Terraform 1.14+): the configuration that
// -generate-config-out writes, applied as it is, imports every image, changes and replaces
// nothing, and leaves the next plan empty.

// adoptGuide is the example of the guide "Adopting existing images with terraform query": its
// configuration and its query, which lists available snapshots and backups in two list blocks.
const adoptGuide = "guides/adopt-with-query"

// adoptionImages adds the kinds of images a project holds: snapshots with and without
// description and labels, a protected one, a backup, and a snapshot of a server deleted since.
func adoptionImages(emu *emulator.Emulator) []int64 {
	size := 3.25
	backupOf := emulator.SeedServerBackups
	web := &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}
	images := []emulator.Image{
		{Description: "web before the upgrade", Labels: map[string]string{"env": "prod", "example.com/role": "web"}, CreatedFrom: web},
		{Description: "", CreatedFrom: web},
		{Description: "kept", Protection: emulator.Protection{Delete: true}, CreatedFrom: web},
		{Type: emulator.ImageTypeBackup, Description: "nightly", BoundTo: &backupOf,
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerBackups, Name: "db-1"}},
		{Description: "of a server deleted since", Labels: map[string]string{"env": "old"},
			CreatedFrom: &emulator.CreatedFrom{ID: 4242, Name: "web-0"}},
		{Description: "arm", Architecture: "arm", CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerARM, Name: "arm-1"}},
	}
	ids := make([]int64, len(images))
	for i, img := range images {
		img.ImageSize, img.DiskSize = &size, 40
		ids[i] = emu.AddImage(img).ID
	}
	return ids
}

// TestAccQuery_generatedConfigAdoptsEveryImageWithNoChange runs the guide's example.
func TestAccQuery_generatedConfigAdoptsEveryImageWithNoChange(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 100 * time.Millisecond})
	ids := adoptionImages(emu)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	skipBelowTerraform(t, w, "1.14.0")
	for name, content := range exampleFiles(t, adoptGuide) {
		w.writeFile(name, content)
	}
	query, err := os.ReadFile(filepath.Join(examplesDir, adoptGuide, "find.tfquery.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	w.writeFile("find.tfquery.hcl", string(query))
	before := imagesByID(emu)

	emu.ResetRequests()
	out, err := w.run("query", "-generate-config-out=images.tf")
	if err != nil {
		t.Fatalf("query: %v\n%s", err, out)
	}
	// Two list blocks (snapshots, backups) of fewer than 50 images: a page each.
	if got := emu.Requests(); emu.TotalRequests() != 2 || got["GET /v1/images"] != 2 {
		t.Errorf("the query cost %v, want one page of GET /v1/images per list block", got)
	}
	generated, err := os.ReadFile(filepath.Join(w.dir, "images.tf"))
	if err != nil {
		t.Fatalf("query wrote no configuration: %v\n%s", err, out)
	}
	for _, id := range ids {
		if !regexp.MustCompile(fmt.Sprintf(`identity = \{\s*id = %d\s*\}`, id)).Match(generated) {
			t.Errorf("the generated configuration has no import block for image %d:\n%s", id, generated)
		}
	}
	if n := strings.Count(string(generated), `resource "hetzner_image"`); n != len(ids) {
		t.Errorf("the generated configuration has %d resource blocks, want %d:\n%s", n, len(ids), generated)
	}

	emu.ResetRequests()
	out, err = w.run("apply", "-auto-approve")
	if err != nil {
		t.Fatalf("applying the generated configuration: %v\n%s\n%s", err, out, generated)
	}
	want := fmt.Sprintf("Apply complete! Resources: %d imported, 0 added, 0 changed, 0 destroyed.", len(ids))
	if !strings.Contains(out, want) {
		t.Errorf("apply did not say %q:\n%s\n%s", want, out, generated)
	}
	// An import reads the image: nothing else is asked.
	if got := emu.Requests(); got["GET /v1/images/{id}"]+got["GET /v1/images"] != emu.TotalRequests() {
		t.Errorf("applying the imports sent %v, want reads only", got)
	}
	if out, err := w.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("the plan after the import is not empty: %v\n%s", err, out)
	}
	if after := imagesByID(emu); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("adopting the images changed them:\nbefore %v\nafter  %v", before, after)
	}
	// Every adopted image carries its identity in the state.
	adopted := w.resources(tfjson.ManagedResourceMode, "hetzner_image")
	if len(adopted) != len(ids) {
		t.Errorf("%d images in the state, want the %d adopted", len(adopted), len(ids))
	}
	for addr, r := range adopted {
		if r.IdentityValues == nil || fmt.Sprint(r.IdentityValues["id"]) != fmt.Sprint(r.AttributeValues["id"]) {
			t.Errorf("%s has identity %v, want its id %v", addr, r.IdentityValues, r.AttributeValues["id"])
		}
	}
}

// imagesByID is what the emulator holds of the user's images, for before/after comparisons.
func imagesByID(emu *emulator.Emulator) map[int64]string {
	out := map[int64]string{}
	for _, img := range emu.ImagesOfType(emulator.ImageTypeSnapshot, emulator.ImageTypeBackup) {
		out[img.ID] = fmt.Sprintf("%s %q %v protected=%t", img.Type, img.Description, img.Labels, img.Protection.Delete)
	}
	return out
}

// A query costs the pages its results need, 50 images a page: ten of 5000 images are one
// request, all 5000 are 100.
func TestAccQuery_costsThePagesItsResultsNeed(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{})
	addSnapshots(emu, 5000)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	skipBelowTerraform(t, w, "1.14.0")
	w.write("")
	for _, c := range []struct{ limit, results, pages int }{{10, 10, 1}, {5000, 5000, 100}} {
		w.writeFile("all.tfquery.hcl", fmt.Sprintf(`
list "hetzner_image" "all" {
  provider = hetzner
  limit    = %d
  config {}
}
`, c.limit))
		emu.ResetRequests()
		out, err := w.run("query", "-json")
		if err != nil {
			t.Fatalf("query with limit %d: %v\n%s", c.limit, err, out)
		}
		if n := strings.Count(out, `"type":"list_resource_found"`); n != c.results {
			t.Errorf("limit = %d found %d images, want %d", c.limit, n, c.results)
		}
		if got := emu.Requests(); emu.TotalRequests() != c.pages || got["GET /v1/images"] != c.pages {
			t.Errorf("limit = %d cost %v, want %d pages of GET /v1/images and nothing else", c.limit, got, c.pages)
		}
	}
}
