package e2e

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// managedSnapshots declares images s0…s(n−1) with the descriptions of addSnapshots (or the one
// given in described), leaving out those in dropped.
func managedSnapshots(n int, described map[int]string, dropped map[int]bool) string {
	var hcl strings.Builder
	for i := range n {
		if dropped[i] {
			continue
		}
		desc, ok := described[i]
		if !ok {
			desc = fmt.Sprint("bench ", i)
		}
		fmt.Fprintf(&hcl, "resource \"hetzner_image\" \"s%d\" {\n  server_id   = %d\n  description = %q\n  labels      = { bench = \"yes\" }\n}\n",
			i, emulator.SeedServerNoBackups, desc)
	}
	return hcl.String()
}

// TestAccRefresh_theListServesNothingStale refreshes 120 images (three pages of the list, which
// answers most Reads) around changes made outside Terraform and by Terraform itself: an image
// deleted outside leaves the state on that plan, one changed outside shows its current values,
// the list of one command is not what the next one sees, and an image updated by an apply is
// read as it is now.
func TestAccRefresh_theListServesNothingStale(t *testing.T) {
	const n = 120
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 1})
	ids := addSnapshots(emu, n)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(importsOf(ours, ids))
	w.mustRun("apply", "-auto-approve")
	w.write(managedSnapshots(n, nil, nil))

	// The first plan lists the project; every change below happens after it, in another tool.
	emu.ResetRequests()
	if out, err := w.run("plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan before the changes: %v\n%s", err, out)
	}
	if emu.RequestCount("GET", "/v1/images") == 0 {
		t.Fatalf("the refresh did not list the project (%v): this test would not test the list", emu.Requests())
	}
	other := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token})
	ctx := context.Background()
	deleted := []int{3, 60, 119} // on the first, second and last page
	for _, i := range deleted {
		if err := other.DeleteImage(ctx, ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	changedOutside := map[int]string{10: "changed outside 10", 75: "changed outside 75"}
	for i, desc := range changedOutside {
		if _, err := other.UpdateImage(ctx, ids[i], hcloud.ImageUpdateOpts{Description: &desc, Labels: map[string]string{"by": "hand"}}); err != nil {
			t.Fatal(err)
		}
	}

	p := w.savedPlan()
	changes := plannedChanges(p)
	for _, i := range deleted {
		if got := changes[fmt.Sprintf("hetzner_image.s%d", i)].actions; got != "create" {
			t.Errorf("s%d, deleted outside: planned %q, want create (its state entry gone on this plan)", i, got)
		}
	}
	for _, rc := range p.ResourceChanges {
		var i int
		if _, err := fmt.Sscanf(rc.Address, "hetzner_image.s%d", &i); err != nil {
			continue
		}
		desc, changed := changedOutside[i]
		before, _ := rc.Change.Before.(map[string]any)
		switch {
		case changed:
			labels, _ := before["labels"].(map[string]any)
			if before["description"] != desc || labels["by"] != "hand" || !rc.Change.Actions.Update() {
				t.Errorf("s%d, changed outside: %v of description %v, labels %v; want an update from %q, by=hand",
					i, rc.Change.Actions, before["description"], labels, desc)
			}
		case !slices.Contains(deleted, i) && !rc.Change.Actions.NoOp():
			t.Errorf("s%d, unchanged: planned %v, want no change", i, rc.Change.Actions)
		}
	}

	// The apply takes the changed images back to the configuration and updates two more; the
	// deleted ones are no longer declared. The next plan then reads every image as it is now:
	// nothing left to do.
	updated := map[int]string{20: "updated by terraform 20", 100: "updated by terraform 100"}
	dropped := map[int]bool{}
	for _, i := range deleted {
		dropped[i] = true
	}
	w.write(managedSnapshots(n, updated, dropped))
	w.mustRun("apply", "-auto-approve")
	emu.ResetRequests()
	if out, err := w.run("plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("plan after the apply is not empty: %v\n%s", err, out)
	}
	if emu.RequestCount("GET", "/v1/images") == 0 {
		t.Errorf("the last refresh did not list the project (%v)", emu.Requests())
	}
	images := w.resources("managed", "hetzner_image")
	if len(images) != n-len(deleted) {
		t.Errorf("%d images in the state, want %d", len(images), n-len(deleted))
	}
	for i, desc := range updated {
		if got := images[fmt.Sprintf("hetzner_image.s%d", i)].AttributeValues["description"]; got != desc {
			t.Errorf("s%d: description %v in the state, want %q", i, got, desc)
		}
	}
	// And the API holds what the state says: the updates made, the changes outside undone.
	for i := range changedOutside {
		updated[i] = fmt.Sprint("bench ", i)
	}
	for i, desc := range updated {
		img, ok := emu.Image(ids[i])
		if !ok || img.Description != desc || !maps.Equal(img.Labels, map[string]string{"bench": "yes"}) {
			t.Errorf("s%d: the API holds %q with labels %v (found %v), want %q with bench=yes", i, img.Description, img.Labels, ok, desc)
		}
	}
}
