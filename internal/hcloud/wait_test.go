package hcloud_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

func TestDeleteImage_waitsWhileTheImageIsLocked(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	slept := hcloud.FakeClock(c)
	snap := emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 10})
	emu.FailNext(emulator.Fault{Method: "DELETE", Path: "/v1/images/{id}", Count: 3, Status: 423, Code: "locked"})

	if err := c.DeleteImage(context.Background(), snap.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := emu.Image(snap.ID); ok {
		t.Error("the image still exists")
	}
	if msg := "the API is busy with the image or its server; trying again"; logOf(c).count(msg) != 3 || logOf(c).level(msg) != "info" {
		t.Errorf("%q logged %d times at level %v, want 3 at info", msg, logOf(c).count(msg), logOf(c).level(msg))
	}
	if n := emu.RequestCount("DELETE", "/v1/images/{id}"); n != 4 {
		t.Errorf("%d DELETE requests, want 4 (three locked answers, then the delete)", n)
	}
	if want := slices.Repeat([]time.Duration{10 * time.Millisecond}, 3); !slices.Equal(*slept, want) {
		t.Errorf("waited %v, want %v: one poll interval after each locked answer", *slept, want)
	}
}

func TestDeleteImage_busyUntilTheDeadlineKeepsTheAPIError(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	slept := hcloud.FakeClock(c)
	snap := emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 10})
	emu.FailNext(emulator.Fault{Method: "DELETE", Path: "/v1/images/{id}", Count: 1000, Status: 423, Code: "locked"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	err := c.DeleteImage(ctx, snap.ID)
	if !hcloud.IsBusy(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the locked answer together with the deadline", err)
	}
	// The waits grow with the time waited (a tenth of it), so a minute costs tens of requests,
	// not thousands.
	if n, waits := emu.RequestCount("DELETE", "/v1/images/{id}"), len(*slept); n != waits+1 || n > 100 {
		t.Errorf("%d DELETE requests and %d waits; want one more request than waits, and at most 100", n, waits)
	}
	if _, ok := emu.Image(snap.ID); !ok {
		t.Error("the locked image was deleted")
	}
}

func TestCreateImage_lostAnswerAdoptsTheImageItMade(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	slept := hcloud.FakeClock(c)
	emu.FailNext(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Drop: emulator.DropAfterProcessing})
	desc := "before the upgrade"

	img, action, err := c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{
		Description: &desc, Labels: map[string]string{"env": "prod"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if action != nil || img.Description != desc {
		t.Errorf("got image %+v, action %+v; want the adopted image and no action", img, action)
	}
	if n := len(emu.ImagesOfType(emulator.ImageTypeSnapshot)); n != 1 {
		t.Errorf("the emulator holds %d snapshots, want 1", n)
	}
	if n := emu.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); n != 1 {
		t.Errorf("%d create requests, want 1: the lost one made the image", n)
	}
	if len(*slept) != 1 {
		t.Errorf("waited %v, want one poll interval before looking for the image", *slept)
	}
	// A user watching the apply is told: the image was adopted, not made twice.
	for _, msg := range []string{
		"the answer to create_image was lost; looking for the image before trying again",
		"the answer to create_image was lost; adopting the image it made",
	} {
		if n, level := logOf(c).count(msg), logOf(c).level(msg); n != 1 || level != "warn" {
			t.Errorf("%q logged %d times at level %v, want once as a warning", msg, n, level)
		}
	}
	if err := c.WaitForImage(context.Background(), img.ID, action, nil); err != nil {
		t.Errorf("waiting for the adopted image: %v", err)
	}
}

// Creates of one server are sent one at a time; one that waits for its turn still ends with
// its own context, not when the request ahead of it is answered.
func TestCreateImage_waitingForASiblingEndsWithTheContext(t *testing.T) {
	held, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	c, _ := newClient(t, emulator.Options{OnResponse: func(r *http.Request, _ int, _ http.Header, _ []byte) {
		if strings.HasSuffix(r.URL.Path, "/actions/create_image") {
			once.Do(func() { close(held); <-release })
		}
	}})
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()
	first := make(chan error, 1)
	go func() {
		_, _, err := c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{})
		first <- err
	}()
	<-held // the first create's request is sent, and its answer held back

	ctx, cancel := context.WithCancel(context.Background())
	cancel() // an interrupt, or the create timeout, while the sibling's request is in flight
	second := make(chan error, 1)
	go func() {
		_, _, err := c.CreateImage(ctx, emulator.SeedServerNoBackups, hcloud.CreateImageOpts{})
		second <- err
	}()
	select {
	case err := <-second:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want the context's end", err)
		}
	case <-time.After(30 * time.Second): // a safety net against a hang, not a measurement
		t.Error("the second create still waits for the first one's answer after its context ended")
	}
	close(release)
	released = true
	if err := <-first; err != nil {
		t.Errorf("the first create: %v", err)
	}
}
