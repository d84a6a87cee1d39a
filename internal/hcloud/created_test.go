package hcloud_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// createImages writes one snapshot of each of n new servers and returns the images' ids.
func createImages(t *testing.T, c *hcloud.Client, emu *emulator.Emulator, n int) []int64 {
	t.Helper()
	ids := make([]int64, n)
	for i := range ids {
		srv := emu.AddServer(emulator.Server{Name: fmt.Sprint("srv", i), DiskSize: 20})
		img, _, err := c.CreateImage(context.Background(), srv.ID, hcloud.CreateImageOpts{})
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = img.ID
	}
	return ids
}

// readTogether reads every image in its own concurrent ReadCreatedImage call.
func readTogether(t *testing.T, c *hcloud.Client, ids []int64) []*hcloud.Image {
	t.Helper()
	images := make([]*hcloud.Image, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			img, err := c.ReadCreatedImage(context.Background(), id)
			if err != nil {
				t.Errorf("image %d: %v", id, err)
			}
			images[i] = img
		})
	}
	wg.Wait()
	return images
}

func TestReadCreatedImage_readsThatComeTogetherShareOneList(t *testing.T) {
	c, emu := newPollingClient(t, emulator.Options{}, 20*time.Millisecond) // actions end on the next read
	ids := createImages(t, c, emu, 12)
	hcloud.HoldCreatedReads(c, len(ids))
	emu.ResetRequests()
	images := readTogether(t, c, ids)
	if got := emu.Requests(); got["GET /v1/images"] != 1 || emu.TotalRequests() != 1 {
		t.Errorf("12 reads cost %v, want one list", got)
	}
	for i, img := range images {
		if img == nil || img.ID != ids[i] || img.Status != hcloud.ImageStatusAvailable || img.ImageSize == nil {
			t.Errorf("read %d = %+v, want image %d written, with its size", i, img, ids[i])
		}
	}
}

func TestReadCreatedImage_anImageListedWhileBeingWrittenIsFetchedAgain(t *testing.T) {
	c, emu := newPollingClient(t, emulator.Options{ActionDuration: time.Hour}, 20*time.Millisecond)
	ids := createImages(t, c, emu, 3)
	hcloud.HoldCreatedReads(c, len(ids))
	emu.ResetRequests()
	readTogether(t, c, ids)
	if got := emu.Requests(); got["GET /v1/images"] != 1 || got["GET /v1/images/{id}"] != 3 {
		t.Errorf("3 reads of images still being written cost %v, want one list and 3 GETs", got)
	}
}

func TestReadCreatedImage_aReadOnItsOwnIsOneGet(t *testing.T) {
	c, emu := newPollingClient(t, emulator.Options{}, 20*time.Millisecond)
	ids := createImages(t, c, emu, 1)
	emu.ResetRequests()
	readTogether(t, c, ids)
	if got := emu.Requests(); got["GET /v1/images/{id}"] != 1 || emu.TotalRequests() != 1 {
		t.Errorf("one read cost %v, want one GET", got)
	}
}
