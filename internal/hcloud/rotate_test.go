package hcloud_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// TestRotateImages_keepsTheNewestAndLeavesWhatItMayNotDelete: of the snapshots of server 101
// with every label asked for, the newest Keep stay (the one just made counts, listed or not);
// older ones are deleted, except a protected one and one still being written. Images of another
// server, of another type, or that lack a label (or differ in an empty one) are not counted.
func TestRotateImages_keepsTheNewestAndLeavesWhatItMayNotDelete(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	const srv = emulator.SeedServerNoBackups
	labels := map[string]string{"rotation": "nightly", "empty": ""}
	add := func(age time.Duration, mod func(*emulator.Image)) int64 {
		img := emulator.Image{Status: emulator.ImageStatusAvailable, DiskSize: 40, OSFlavor: "ubuntu", Created: time.Now().Add(-age),
			CreatedFrom: &emulator.CreatedFrom{ID: srv, Name: "web-1"}, Labels: map[string]string{"rotation": "nightly", "empty": "", "extra": "x"}}
		if mod != nil {
			mod(&img)
		}
		return emu.AddImage(img).ID
	}
	newer := add(time.Hour, nil)
	protected := add(2*time.Hour, func(i *emulator.Image) { i.Protection.Delete = true })
	writing := add(3*time.Hour, func(i *emulator.Image) { i.Status = emulator.ImageStatusCreating })
	oldest := add(4*time.Hour, nil)
	others := []int64{
		add(5*time.Hour, func(i *emulator.Image) {
			i.CreatedFrom = &emulator.CreatedFrom{ID: emulator.SeedServerBackups, Name: "db-1"}
		}),
		add(5*time.Hour, func(i *emulator.Image) { delete(i.Labels, "rotation") }),
		add(5*time.Hour, func(i *emulator.Image) { i.Labels["empty"] = "not" }),
	}
	const made = 999999 // not listed yet: kept and counted all the same

	var reported []hcloud.RotatedImage
	r, err := c.RotateImages(context.Background(), hcloud.RotateOpts{ServerID: srv, Labels: labels, Keep: 2, Made: made},
		func(ri hcloud.RotatedImage) { reported = append(reported, ri) })
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{made, newer}; !slices.Equal(r.Kept, want) {
		t.Errorf("kept %v, want %v", r.Kept, want)
	}
	var got []string
	for _, o := range r.Older {
		got = append(got, string(o.Outcome))
	}
	if want := []string{"protected", "writing", "deleted"}; !slices.Equal(got, want) {
		t.Errorf("outcomes %v, want %v", got, want)
	}
	if len(reported) != 4 || reported[0].Outcome != hcloud.RotationKept || reported[0].Image.ID != newer {
		t.Errorf("reported %+v, want newer kept then the three older", reported)
	}
	if _, ok := emu.Image(oldest); ok {
		t.Errorf("the oldest image %d is still there", oldest)
	}
	for _, id := range append([]int64{newer, protected, writing}, others...) {
		if _, ok := emu.Image(id); !ok {
			t.Errorf("image %d was deleted", id)
		}
	}
	if n := emu.RequestCount("DELETE", "/v1/images/{id}"); n != 1 {
		t.Errorf("%d DELETE requests, want 1", n)
	}
}

// TestRotateImages_aFailedDeleteIsReportedAndTheRestGoesOn: a delete the API refuses is an
// outcome with its error, not the rotation's error, and the next image is still deleted.
func TestRotateImages_aFailedDeleteIsReportedAndTheRestGoesOn(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	var ids []int64
	for i := range 3 {
		ids = append(ids, emu.AddImage(emulator.Image{Status: emulator.ImageStatusAvailable, DiskSize: 40, OSFlavor: "ubuntu",
			Created: time.Now().Add(-time.Duration(i+1) * time.Hour), Labels: map[string]string{"k": "v"},
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}}).ID)
	}
	emu.FailNext(emulator.Fault{Method: "DELETE", Path: "/v1/images/{id}", Status: 403, Code: "forbidden", Message: "no"})
	r, err := c.RotateImages(context.Background(), hcloud.RotateOpts{ServerID: emulator.SeedServerNoBackups,
		Labels: map[string]string{"k": "v"}, Keep: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Older) != 2 || r.Older[0].Outcome != hcloud.RotationFailed || !hcloud.IsAPIError(r.Older[0].Err, "forbidden") ||
		r.Older[1].Outcome != hcloud.RotationDeleted {
		t.Fatalf("older: %+v", r.Older)
	}
	if _, ok := emu.Image(ids[1]); !ok {
		t.Error("the image whose delete failed is gone")
	}
	if _, ok := emu.Image(ids[2]); ok {
		t.Error("the oldest image was not deleted after the failure")
	}
}

// A rotation with no labels to match, or nothing to keep, could delete anyone's images: it is
// refused before any request.
func TestRotateImages_withoutLabelsOrKeepIsRefusedBeforeAnyRequest(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.AddImage(emulator.Image{DiskSize: 40, CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}})
	emu.ResetRequests()
	for _, opts := range []hcloud.RotateOpts{
		{ServerID: emulator.SeedServerNoBackups, Keep: 1},
		{ServerID: emulator.SeedServerNoBackups, Labels: map[string]string{}, Keep: 1},
		{ServerID: emulator.SeedServerNoBackups, Labels: map[string]string{"rotation": "nightly"}, Keep: 0},
	} {
		if _, err := c.RotateImages(context.Background(), opts, nil); !errors.Is(err, hcloud.ErrRotationUnbounded) {
			t.Errorf("RotateImages(%+v) = %v, want ErrRotationUnbounded", opts, err)
		}
	}
	if n := emu.TotalRequests(); n != 0 {
		t.Errorf("refused rotations sent %d requests: %v", n, emu.Requests())
	}
}

// An image whose copy failed takes no place among the kept, so it never pushes a good older
// image out: it is rotated like an older one.
func TestRotateImages_aFailedImageTakesNoPlace(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	labels := map[string]string{"rotation": "nightly"}
	add := func(age time.Duration, status string) int64 {
		return emu.AddImage(emulator.Image{Status: status, DiskSize: 40, Created: time.Now().Add(-age), Labels: labels,
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}}).ID
	}
	failed := add(time.Hour, emulator.ImageStatusUnavailable)
	good := add(2*time.Hour, emulator.ImageStatusAvailable)
	const made = 999999
	r, err := c.RotateImages(context.Background(), hcloud.RotateOpts{ServerID: emulator.SeedServerNoBackups, Labels: labels,
		Keep: 2, Made: made}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{made, good}; !slices.Equal(r.Kept, want) {
		t.Errorf("kept %v, want %v (the failed image %d takes no place)", r.Kept, want, failed)
	}
	if len(r.Older) != 1 || r.Older[0].Image.ID != failed || r.Older[0].Outcome != hcloud.RotationDeleted {
		t.Errorf("older %+v, want the failed image %d deleted", r.Older, failed)
	}
}
