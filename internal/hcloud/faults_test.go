package hcloud_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// sharedClock serves an emulator and a client on one fake clock: it moves only when the
// client waits. The lines the client logs are kept.
type sharedClock struct {
	c    *hcloud.Client
	emu  *emulator.Emulator
	mu   sync.Mutex
	logs []string
}

func newSharedClock(t *testing.T, opts emulator.Options) *sharedClock {
	t.Helper()
	sc := &sharedClock{}
	var now atomic.Pointer[func() time.Time]
	wall := time.Now
	now.Store(&wall)
	opts.Clock = func() time.Time { return (*now.Load())() }
	emu, endpoint := emulatortest.Start(t, opts)
	sc.emu = emu
	sc.c = hcloud.New(hcloud.Options{
		Endpoint: endpoint, Token: emulatortest.Token, PollInterval: 10 * time.Millisecond,
		RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 20 * time.Millisecond,
		Log: func(_ context.Context, msg string, fields map[string]any) {
			sc.mu.Lock()
			defer sc.mu.Unlock()
			sc.logs = append(sc.logs, fmt.Sprintf("%s %v", msg, fields))
		},
	})
	hcloud.FakeClock(sc.c)
	fake := hcloud.Now(sc.c)
	now.Store(&fake)
	return sc
}

func (sc *sharedClock) logged(part string) int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	n := 0
	for _, l := range sc.logs {
		if strings.Contains(l, part) {
			n++
		}
	}
	return n
}

func TestCreateImage_lastingLockIsWaitedOutAndItsHolderLogged(t *testing.T) {
	sc := newSharedClock(t, emulator.Options{})
	busy, _ := sc.emu.BusyServer(emulator.SeedServerNoBackups, "rebuild_server", 5*time.Minute)

	img, _, err := sc.c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{})
	if err != nil {
		t.Fatalf("the create did not outlast the lock: %v", err)
	}
	if img == nil || img.ID == 0 {
		t.Fatalf("no image: %+v", img)
	}
	holder := fmt.Sprintf("server 101 is busy with action %d (rebuild_server", busy.ID)
	if sc.logged(holder) == 0 || sc.logged("level:info") == 0 {
		t.Errorf("no info line names the holder (%q); logged:\n%s", holder, strings.Join(sc.logs, "\n"))
	}
	// The holder is looked up on the first busy answer and then once a minute, not on every try.
	lookups := sc.emu.RequestCount("GET", "/v1/servers/{id}/actions")
	if tries := sc.emu.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); lookups < 2 || lookups > 7 || tries <= lookups {
		t.Errorf("%d lookups of the holder for %d create tries over five minutes; want one a minute", lookups, tries)
	}
}

func TestCreateImage_lastingLockTimeoutNamesTheHolder(t *testing.T) {
	sc := newSharedClock(t, emulator.Options{BackupDuration: 2 * time.Hour})
	if _, _, ok := sc.emu.RunDailyBackup(emulator.SeedServerBackups); !ok {
		t.Fatal("no daily backup")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()

	_, _, err := sc.c.CreateImage(ctx, emulator.SeedServerBackups, hcloud.CreateImageOpts{})
	var busyErr *hcloud.ServerBusyError
	if !errors.As(err, &busyErr) || !hcloud.IsBusy(err) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v; want the busy server, the API's locked answer and the deadline", err)
	}
	if busyErr.Holder == nil || busyErr.Holder.Command != "create_image" ||
		!strings.Contains(err.Error(), fmt.Sprintf("busy with action %d (create_image", busyErr.Holder.ID)) {
		t.Errorf("the error does not name the daily backup that held the server: %v", err)
	}
	if n := len(sc.emu.ImagesOfType("snapshot")); n != 0 {
		t.Errorf("%d snapshots made on a locked server", n)
	}
}

func TestCreateImage_processedThenFailedIsNeverResent(t *testing.T) {
	faults := map[string]emulator.Fault{
		"json 503":                   {When: emulator.FaultAfter, Status: 503, Code: "unavailable", Message: "service temporarily unavailable"},
		"json 500":                   {When: emulator.FaultAfter, Status: 500},
		"html 502":                   {When: emulator.FaultAfter, Status: 502, RawBody: "<html>502 Bad Gateway</html>"},
		"html 504":                   {When: emulator.FaultAfter, Status: 504, RawBody: "<html>504 Gateway Time-out</html>"},
		"reset":                      {When: emulator.FaultAfter, Drop: emulator.DropAfterProcessing},
		"json 503 before processing": {Status: 503, Code: "unavailable"},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			sc := newSharedClock(t, emulator.Options{})
			f.Method, f.Path = "POST", "/v1/servers/{id}/actions/create_image"
			sc.emu.FailNext(f)
			img, _, err := sc.c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{
				Labels: map[string]string{"decl": "web"},
			})
			if err != nil {
				t.Fatal(err)
			}
			snapshots := sc.emu.ImagesOfType("snapshot")
			if len(snapshots) != 1 || snapshots[0].ID != img.ID {
				t.Errorf("the API holds %d snapshots, want exactly the one returned (%d)", len(snapshots), img.ID)
			}
			// After a fault "before", the search finds nothing and the create is sent again.
			want := 1
			if f.When == emulator.FaultBefore {
				want = 2
			}
			if n := sc.emu.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); n != want {
				t.Errorf("%d create requests, want %d", n, want)
			}
		})
	}
}

func TestCreateImage_lostAnswerNeverAdoptsAnAutomaticBackup(t *testing.T) {
	t.Run("unmarked backup: outcome unknown, nothing adopted", func(t *testing.T) {
		sc := newSharedClock(t, emulator.Options{BackupDuration: time.Minute})
		auto, _, _ := sc.emu.RunDailyBackup(emulator.SeedServerBackups)
		sc.emu.FailNext(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 503, Code: "unavailable"})
		img, _, err := sc.c.CreateImage(context.Background(), emulator.SeedServerBackups, hcloud.CreateImageOpts{Type: hcloud.ImageTypeBackup})
		if !hcloud.IsOutcomeUnknown(err) || img != nil {
			t.Fatalf("got %+v, %v; want no image and an unknown outcome", img, err)
		}
		if !strings.Contains(err.Error(), fmt.Sprintf("backup %d", auto.ID)) || !strings.Contains(err.Error(), "import it") {
			t.Errorf("the error does not name the candidate and what to do: %v", err)
		}
	})
	t.Run("labelled backup: the automatic one is passed over", func(t *testing.T) {
		sc := newSharedClock(t, emulator.Options{BackupDuration: time.Minute})
		auto, _, _ := sc.emu.RunDailyBackup(emulator.SeedServerBackups)
		sc.emu.FailNext(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 503, Code: "unavailable"})
		img, _, err := sc.c.CreateImage(context.Background(), emulator.SeedServerBackups, hcloud.CreateImageOpts{
			Type: hcloud.ImageTypeBackup, Labels: map[string]string{"role": "db"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if img.ID == auto.ID || img.Labels["role"] != "db" {
			t.Errorf("adopted %+v; the automatic backup is %d", img, auto.ID)
		}
		if n := len(sc.emu.ImagesOfType("backup")); n != 2 {
			t.Errorf("%d backups, want the automatic one and ours", n)
		}
	})
}

func TestCreateImage_interruptedBeforeTheAnswerKeepsTheImage(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc := newSharedClock(t, emulator.Options{OnResponse: func(r *http.Request, status int, _ http.Header, _ []byte) {
		if r.Method == http.MethodPost && status == http.StatusCreated {
			cancel() // Ctrl-C while the answer is still on its way
		}
	}})
	sc.emu.FailNext(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image",
		When: emulator.FaultAfter, Drop: emulator.DropAfterProcessing, Delay: time.Hour})
	desc := "before the upgrade"

	img, _, err := sc.c.CreateImage(ctx, emulator.SeedServerNoBackups, hcloud.CreateImageOpts{Description: &desc})
	if err != nil {
		t.Fatalf("err = %v; want the image the interrupted request made", err)
	}
	snapshots := sc.emu.ImagesOfType("snapshot")
	if len(snapshots) != 1 || snapshots[0].ID != img.ID {
		t.Errorf("the API holds %v, want exactly the image returned (%d)", snapshots, img.ID)
	}
	if n := sc.emu.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); n != 1 {
		t.Errorf("%d create requests after an interrupt, want 1", n)
	}
}
