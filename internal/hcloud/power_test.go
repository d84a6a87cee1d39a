package hcloud_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// consistent allows a short shutdown: the emulator's servers are off on the first read after the
// request, unless their operating system ignores it. The client's real clock runs these tests
// (its shared action poller keeps real time), with a poll interval of 10ms.
var consistent = hcloud.ShutdownOpts{Enabled: true, Timeout: 300 * time.Millisecond}

func serverStatus(t *testing.T, emu *emulator.Emulator, id int64) string {
	t.Helper()
	for _, s := range emu.Servers() {
		if s.ID == id {
			return s.Status
		}
	}
	t.Fatalf("no server %d", id)
	return ""
}

func ignoreACPI(t *testing.T, emu *emulator.Emulator, id int64) {
	t.Helper()
	ignore := true
	if found, err := emu.SetServerPower(id, nil, &ignore); !found || err != nil {
		t.Fatalf("server %d: found %t, %v", id, found, err)
	}
}

func wantHistory(t *testing.T, emu *emulator.Emulator, id int64, want ...string) {
	t.Helper()
	if got := emu.ServerHistory(id); !slices.Equal(got, want) {
		t.Errorf("history of server %d:\n got %v\nwant %v", id, got, want)
	}
}

// createWhileOff runs CreateImageAndWait and reports the image it made, if any.
func createWhileOff(t *testing.T, c *hcloud.Client, serverID int64, shutdown hcloud.ShutdownOpts) (*hcloud.Image, error) {
	t.Helper()
	var made *hcloud.Image
	img, err := c.CreateImageAndWait(context.Background(), serverID, hcloud.CreateImageOpts{}, shutdown, func(img *hcloud.Image) { made = img }, nil)
	if err == nil && (img == nil || made == nil || img.ID != made.ID) {
		t.Fatalf("image %+v returned, %+v reported as created", img, made)
	}
	return made, err
}

func TestCreateImageAndWait_runningServerIsImagedWhileOffThenRunsAgain(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	const srv = emulator.SeedServerNoBackups
	img, err := createWhileOff(t, c, srv, consistent)
	if err != nil {
		t.Fatal(err)
	}
	wantHistory(t, emu, srv, "shutdown_server", "stopping", "off", "create_image (off)", "start_server", "starting", "running")
	if got := serverStatus(t, emu, srv); got != emulator.ServerStatusRunning {
		t.Errorf("server is %q at the end, want running", got)
	}
	if got, _ := emu.Image(img.ID); got.Status != emulator.ImageStatusAvailable {
		t.Errorf("image = %+v", got)
	}
	for route, want := range map[string]int{
		"POST /v1/servers/{id}/actions/shutdown":     1,
		"POST /v1/servers/{id}/actions/create_image": 1,
		"POST /v1/servers/{id}/actions/poweron":      1,
		"POST /v1/servers/{id}/actions/poweroff":     0,
	} {
		method, template, _ := strings.Cut(route, " ")
		if n := emu.RequestCount(method, template); n != want {
			t.Errorf("%s: %d requests, want %d", route, n, want)
		}
	}
}

func TestCreateImageAndWait_serverThatIsOffStaysOff(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.AddServer(emulator.Server{ID: 200, Name: "off-1", DiskSize: 20, Status: emulator.ServerStatusOff})
	if _, err := createWhileOff(t, c, 200, consistent); err != nil {
		t.Fatal(err)
	}
	wantHistory(t, emu, 200, "create_image (off)")
	if got := serverStatus(t, emu, 200); got != emulator.ServerStatusOff {
		t.Errorf("server is %q, want off", got)
	}
}

func TestCreateImageAndWait_withoutShutdownTouchesNoPower(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	if _, err := createWhileOff(t, c, emulator.SeedServerNoBackups, hcloud.ShutdownOpts{}); err != nil {
		t.Fatal(err)
	}
	wantHistory(t, emu, emulator.SeedServerNoBackups, "create_image (running)")
	if n := emu.RequestCount("GET", "/v1/servers/{id}"); n != 0 {
		t.Errorf("%d server reads, want none", n)
	}
}

func TestCreateImageAndWait_ignoredShutdownCreatesNoImageAndLeavesTheServerRunning(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	const srv = emulator.SeedServerNoBackups
	ignoreACPI(t, emu, srv)
	img, err := createWhileOff(t, c, srv, consistent)

	var timedOut *hcloud.ShutdownTimeoutError
	if !errors.As(err, &timedOut) || timedOut.ServerID != srv || timedOut.ServerName != "web-1" || timedOut.Status != "running" {
		t.Fatalf("err = %v, want a ShutdownTimeoutError for server %d", err, srv)
	}
	if img != nil || len(emu.ImagesOfType(emulator.ImageTypeSnapshot)) != 0 {
		t.Errorf("an image was created: %+v", img)
	}
	if got := serverStatus(t, emu, srv); got != emulator.ServerStatusRunning {
		t.Errorf("server is %q, want running", got)
	}
	// The power-on is sent anyway (a slow system may still be on its way down); on a running
	// server it changes nothing.
	wantHistory(t, emu, srv, "shutdown_server", "start_server")
}

func TestCreateImageAndWait_ignoredShutdownWithPoweroffOptIn(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	const srv = emulator.SeedServerNoBackups
	ignoreACPI(t, emu, srv)
	opts := consistent
	opts.PowerOff = true
	if _, err := createWhileOff(t, c, srv, opts); err != nil {
		t.Fatal(err)
	}
	wantHistory(t, emu, srv, "shutdown_server", "stop_server", "stopping", "off", "create_image (off)",
		"start_server", "starting", "running")
}

func TestCreateImageAndWait_failedImageStillPowersOn(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	const srv = emulator.SeedServerNoBackups
	emu.FailNextAction("create_image", "", "copying the disk failed")
	img, err := createWhileOff(t, c, srv, consistent)

	var actionErr *hcloud.ActionError
	if !errors.As(err, &actionErr) || img == nil {
		t.Fatalf("err = %v, image %+v; want the create action's failure, after the image was reported", err, img)
	}
	wantHistory(t, emu, srv, "shutdown_server", "stopping", "off", "create_image (off)", "start_server", "starting", "running")
}

func TestCreateImageAndWait_interruptedWaitStillPowersOnWhenTheServerIsFree(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	const srv = emulator.SeedServerNoBackups
	ctx, cancel := context.WithCancel(context.Background())
	// The server stays locked by the copy for a while after the interrupt: the power-on is
	// tried again until the API takes it.
	emu.FailNext(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/poweron", Count: 3, Status: 423, Code: "locked"})
	_, err := c.CreateImageAndWait(ctx, srv, hcloud.CreateImageOpts{}, consistent, func(*hcloud.Image) { cancel() }, nil)

	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the interrupt", err)
	}
	if n := emu.RequestCount("POST", "/v1/servers/{id}/actions/poweron"); n != 4 {
		t.Errorf("%d power-on requests, want 4 (three locked answers, then the power-on)", n)
	}
	if got := serverStatus(t, emu, srv); got != emulator.ServerStatusRunning {
		t.Errorf("server is %q, want running", got)
	}
}

func TestCreateImageAndWait_failedPowerOnSaysSoAndNamesTheServer(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	const srv = emulator.SeedServerNoBackups
	emu.FailNextAction("start_server", "", "the host did not answer")
	img, err := createWhileOff(t, c, srv, consistent)

	var off *hcloud.PowerOnError
	if !errors.As(err, &off) || off.ServerID != srv || off.Cause != nil {
		t.Fatalf("err = %v, want a PowerOnError for server %d without an earlier failure", err, srv)
	}
	if !strings.HasPrefix(err.Error(), "server 101 (web-1) is off") {
		t.Errorf("the error does not start with the server left off: %q", err)
	}
	if img == nil || serverStatus(t, emu, srv) != emulator.ServerStatusOff {
		t.Errorf("image %+v, server %q; want the image made and the server off", img, serverStatus(t, emu, srv))
	}
}

func TestCreateImageAndWait_failedPowerOnAfterAFailedImageKeepsBoth(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.FailNextAction("create_image", "", "copying the disk failed")
	emu.FailNextAction("start_server", "", "the host did not answer")
	_, err := createWhileOff(t, c, emulator.SeedServerNoBackups, consistent)

	var off *hcloud.PowerOnError
	var actionErr *hcloud.ActionError
	if !errors.As(err, &off) || off.Cause == nil || !errors.As(off.Cause, &actionErr) || actionErr.Command != "create_image" {
		t.Fatalf("err = %v, want a PowerOnError whose cause is the failed image", err)
	}
	if !strings.Contains(err.Error(), "copying the disk failed") {
		t.Errorf("the error hides the image's failure: %q", err)
	}
}
