package hcloud_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// addRefreshSnapshots adds n snapshots, each with a description that names it.
func addRefreshSnapshots(emu *emulator.Emulator, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Description: fmt.Sprint("refresh ", i),
			Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 40}).ID
	}
	return ids
}

// shuffler is a reproducible order for a test case.
func shuffler(a, b int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(a), uint64(b))) //nolint:gosec // G404: an order of reads, not a secret
}

// refreshAll reads the images as Terraform's refresh does: every one once, in no particular
// order (rng's), ten at a time. It returns what each read gave.
func refreshAll(t *testing.T, c *hcloud.Client, ids []int64, rng *rand.Rand) map[int64]*hcloud.Image {
	t.Helper()
	order := append([]int64(nil), ids...)
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	var mu sync.Mutex
	got := map[int64]*hcloud.Image{}
	work := make(chan int64)
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			for id := range work {
				img, err := c.RefreshImage(context.Background(), id)
				if err != nil {
					t.Errorf("image %d: %v", id, err)
					continue
				}
				mu.Lock()
				got[id] = img
				mu.Unlock()
			}
		})
	}
	for _, id := range order {
		work <- id
	}
	close(work)
	wg.Wait()
	return got
}

// refreshBound is what a refresh of n images may cost in a project whose list has the given
// number of pages: twice what the cheaper of GETs and pages costs, and the seven first GETs.
func refreshBound(n, pages int) int { return 2*min(n, pages) + 6 }

func TestRefreshImage_costsAtMostTwiceTheCheaperOfGetsAndPages(t *testing.T) {
	for _, tc := range []struct{ managed, project int }{
		{1, 1}, {7, 7}, {7, 500}, {8, 8}, {9, 9}, {20, 20}, {50, 50}, {51, 51}, {100, 100}, {120, 120},
		{300, 300}, {1000, 1000}, {50, 5000}, {5000, 5000}, {20, 2000}, {400, 2000},
	} {
		t.Run(fmt.Sprintf("%d of %d", tc.managed, tc.project), func(t *testing.T) {
			t.Parallel()
			c, emu := newClient(t, emulator.Options{NoSeed: true})
			all := addRefreshSnapshots(emu, tc.project)
			rng := shuffler(tc.managed, tc.project)
			managed := append([]int64(nil), all...)
			rng.Shuffle(len(managed), func(i, j int) { managed[i], managed[j] = managed[j], managed[i] })
			managed = managed[:tc.managed]
			emu.ResetRequests()

			got := refreshAll(t, c, managed, rng)

			for _, id := range managed {
				want, _ := emu.Image(id)
				if got[id] == nil || got[id].ID != id || got[id].Description != want.Description {
					t.Fatalf("image %d read as %+v, want %q", id, got[id], want.Description)
				}
			}
			pages := (tc.project + 49) / 50
			bound := refreshBound(tc.managed, pages)
			total := emu.TotalRequests()
			if total > bound || (tc.managed <= 7 && total != tc.managed) {
				t.Errorf("refreshing %d of %d images cost %d requests (%v), want at most %d",
					tc.managed, tc.project, total, emu.Requests(), bound)
			}
			t.Logf("%d of %d: %d requests (%v), bound %d", tc.managed, tc.project, total, emu.Requests(), bound)
		})
	}
}

func TestRefreshImage_anImageMissingFromTheListIsAskedForByID(t *testing.T) {
	c, emu := newClient(t, emulator.Options{NoSeed: true})
	ids := addRefreshSnapshots(emu, 120)
	ctx := context.Background()
	// Deleted before the list is read (it lacks the image), and after page 1 was read (page 2
	// lacks it): both Reads must say not found, neither may guess it from the list alone.
	emu.RemoveImage(ids[10])
	for _, id := range ids[20:28] { // the eighth read fetches the first page
		if _, err := c.RefreshImage(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	emu.RemoveImage(ids[100])
	for _, id := range []int64{ids[10], ids[100]} {
		if _, err := c.RefreshImage(ctx, id); !hcloud.IsNotFound(err) {
			t.Errorf("image %d, deleted: err = %v, want not_found", id, err)
		}
	}
	// Seven GETs before the list, then one GET for each deletion: the list read no further
	// than the two pages the Reads needed.
	if gets, pages := emu.RequestCount("GET", "/v1/images/{id}"), emu.RequestCount("GET", "/v1/images"); gets != 9 || pages != 2 {
		t.Errorf("%d GETs of one image and %d list pages, want 9 (the deletions confirmed by GETs) and 2", gets, pages)
	}
}

func TestRefreshImage_anImageThisClientChangedIsReadAgain(t *testing.T) {
	c, emu := newClient(t, emulator.Options{NoSeed: true})
	ids := addRefreshSnapshots(emu, 60)
	ctx := context.Background()
	for _, id := range ids[:8] { // the list's first page now holds ids[8:50]
		if _, err := c.RefreshImage(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	changed := "changed by this apply"
	if _, err := c.UpdateImage(ctx, ids[20], hcloud.ImageUpdateOpts{Description: &changed}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetImageProtection(ctx, ids[21], true); err != nil {
		t.Fatal(err)
	}
	emu.ResetRequests()
	img, err := c.RefreshImage(ctx, ids[20])
	if err != nil || img.Description != changed {
		t.Errorf("read after its update: %+v, %v; want description %q", img, err, changed)
	}
	img, err = c.RefreshImage(ctx, ids[21])
	if err != nil || !img.Protection.Delete {
		t.Errorf("read after its protection: %+v, %v; want protected", img, err)
	}
	if got := emu.RequestCount("GET", "/v1/images/{id}"); got != 2 {
		t.Errorf("%d GETs, want one for each image this client changed (%v)", got, emu.Requests())
	}
	// An image the list holds and nobody changed is still answered from it.
	emu.ResetRequests()
	if img, err := c.RefreshImage(ctx, ids[30]); err != nil || img.ID != ids[30] || emu.TotalRequests() != 0 {
		t.Errorf("listed image: %+v, %v, %d requests; want it from the list", img, err, emu.TotalRequests())
	}
}

func TestRefreshImage_aListedImageAnswersOneReadOnly(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{NoSeed: true})
	c := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token})
	other := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token})
	ids := addRefreshSnapshots(emu, 20)
	ctx := context.Background()
	refreshAll(t, c, ids, shuffler(1, 2))
	// Changed outside this client after the list was read: a second Read of the same image
	// in the same process (which Terraform does not make in one refresh) sees the change.
	changed := "changed elsewhere"
	if _, err := other.UpdateImage(ctx, ids[15], hcloud.ImageUpdateOpts{Description: &changed}); err != nil {
		t.Fatal(err)
	}
	img, err := c.RefreshImage(ctx, ids[15])
	if err != nil || img.Description != changed {
		t.Errorf("second read: %+v, %v; want the current description %q", img, err, changed)
	}
}

func TestRefreshImage_anImportedImageIsNotFetchedAgainUnlessChanged(t *testing.T) {
	c, emu := newClient(t, emulator.Options{NoSeed: true})
	ids := addRefreshSnapshots(emu, 2)
	ctx := context.Background()
	for _, id := range ids {
		img, err := c.GetImage(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		c.ClaimImage(img)
	}
	changed := "changed after the import"
	if _, err := c.UpdateImage(ctx, ids[1], hcloud.ImageUpdateOpts{Description: &changed}); err != nil {
		t.Fatal(err)
	}
	emu.ResetRequests()
	if _, err := c.RefreshImage(ctx, ids[0]); err != nil || emu.TotalRequests() != 0 {
		t.Errorf("read after import: %v, %d requests; want none", err, emu.TotalRequests())
	}
	if img, err := c.RefreshImage(ctx, ids[1]); err != nil || img.Description != changed || emu.TotalRequests() != 1 {
		t.Errorf("read after import and update: %+v, %v, %d requests; want one GET with %q", img, err, emu.TotalRequests(), changed)
	}
}

func TestRefreshImage_aFailedPageFallsBackToGets(t *testing.T) {
	c, emu := newClient(t, emulator.Options{NoSeed: true})
	ids := addRefreshSnapshots(emu, 30)
	emu.FailNext(emulator.Fault{Method: "GET", Path: "/v1/images", Status: 403, Code: "forbidden", Message: "no"})
	got := refreshAll(t, c, ids, shuffler(1, 2))
	for i, id := range ids {
		if want := fmt.Sprint("refresh ", i); got[id] == nil || got[id].Description != want {
			t.Errorf("image %d read as %+v, want %q", id, got[id], want)
		}
	}
	// The one list request failed and is not tried again: every image is read by its own GET.
	if gets, pages := emu.RequestCount("GET", "/v1/images/{id}"), emu.RequestCount("GET", "/v1/images"); gets != len(ids) || pages != 1 {
		t.Errorf("%d GETs of one image and %d list requests, want %d and the 1 that failed", gets, pages, len(ids))
	}
}
