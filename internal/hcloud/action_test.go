package hcloud_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// newPollingClient is newClient with the given poll interval.
func newPollingClient(t *testing.T, opts emulator.Options, poll time.Duration) (*hcloud.Client, *emulator.Emulator) {
	t.Helper()
	emu, endpoint := emulatortest.Start(t, opts)
	c := newLoggedClient(hcloud.Options{
		Endpoint:     endpoint,
		Token:        emulatortest.Token,
		PollInterval: poll,
		RetryWaitMin: 5 * time.Millisecond,
		RetryWaitMax: 20 * time.Millisecond,
	})
	return c, emu
}

// clientLog counts what a client logged, by message, and keeps the level each message had.
type clientLog struct {
	mu      sync.Mutex
	counts  map[string]int
	levels  map[string]any // the "level" field, nil for debug
	changed chan struct{}  // capacity 1: counts changed
}

func (l *clientLog) level(msg string) any {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.levels[msg]
}

func (l *clientLog) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.counts[msg]
}

// logs maps each client of newLoggedClient to its log.
var logs sync.Map

// newLoggedClient returns a client whose log lines are counted, see logOf.
func newLoggedClient(opts hcloud.Options) *hcloud.Client {
	l := &clientLog{counts: map[string]int{}, levels: map[string]any{}, changed: make(chan struct{}, 1)}
	opts.Log = func(_ context.Context, msg string, fields map[string]any) {
		l.mu.Lock()
		l.counts[msg]++
		l.levels[msg] = fields["level"]
		l.mu.Unlock()
		select {
		case l.changed <- struct{}{}:
		default:
		}
	}
	c := hcloud.New(opts)
	logs.Store(c, l)
	return c
}

func logOf(c *hcloud.Client) *clientLog {
	l, _ := logs.Load(c)
	return l.(*clientLog)
}

// startSnapshots starts one create_image action on each of n new servers (a server runs one
// action at a time).
func startSnapshots(t *testing.T, c *hcloud.Client, emu *emulator.Emulator, n int) []*hcloud.Action {
	t.Helper()
	actions := make([]*hcloud.Action, n)
	for i := range actions {
		srv := emu.AddServer(emulator.Server{Name: fmt.Sprint("srv", i), DiskSize: 20})
		_, action, err := c.CreateImage(context.Background(), srv.ID, hcloud.CreateImageOpts{})
		if err != nil {
			t.Fatal(err)
		}
		actions[i] = action
	}
	return actions
}

// waitEach waits for each action in its own concurrent WaitForActions call, as Terraform's
// concurrent resources do, and returns each call's error.
func waitEach(c *hcloud.Client, ctxs []context.Context, actions []*hcloud.Action) []error {
	errs := make([]error, len(actions))
	var wg sync.WaitGroup
	for i, a := range actions {
		wg.Go(func() { errs[i] = c.WaitForActions(ctxs[i], nil, a) })
	}
	wg.Wait()
	return errs
}

func background(n int) []context.Context {
	ctxs := make([]context.Context, n)
	for i := range ctxs {
		ctxs[i] = context.Background()
	}
	return ctxs
}

// requirePollLoopsExited fails the test when a poll loop outlives the waits it served.
func requirePollLoopsExited(t *testing.T, c *hcloud.Client) {
	t.Helper()
	l := logOf(c)
	guard := time.After(10 * time.Second) // a guard against hanging, not a timing assertion
	for l.count(hcloud.PollStoppedMsg) < l.count(hcloud.PollStartedMsg) {
		select {
		case <-l.changed:
		case <-guard:
			t.Fatal("the poll loop is still running after every wait ended")
		}
	}
}

func TestWaitForActions_concurrentWaitsShareThePolling(t *testing.T) {
	c, emu := newPollingClient(t, emulator.Options{ActionDuration: 300 * time.Millisecond}, 20*time.Millisecond)

	polls := func(wait func()) int {
		before := emu.RequestCount("GET", "/v1/actions")
		wait()
		return emu.RequestCount("GET", "/v1/actions") - before
	}
	one := startSnapshots(t, c, emu, 1)
	single := polls(func() {
		if err := c.WaitForActions(context.Background(), nil, one...); err != nil {
			t.Fatal(err)
		}
	})

	twenty := startSnapshots(t, c, emu, 20)
	var errs []error
	concurrent := polls(func() { errs = waitEach(c, background(len(twenty)), twenty) })
	for i, err := range errs {
		if err != nil {
			t.Errorf("wait %d: %v", i, err)
		}
	}
	t.Logf("GET /v1/actions: %d for one wait, %d for 20 concurrent waits", single, concurrent)
	// Twenty waits polled on their own would cost twenty times one. Shared, they cost a few
	// more ticks than one: the actions started one after another, so their ends (each checked
	// when its progress predicts it) spread over several ticks.
	if single == 0 || concurrent > 3*single {
		t.Errorf("20 concurrent waits cost %d polling requests, one wait %d; want at most three times as many", concurrent, single)
	}
	for _, img := range emu.Images() {
		if img.Type == emulator.ImageTypeSnapshot && img.Status != emulator.ImageStatusAvailable {
			t.Errorf("snapshot %d is %s after its wait succeeded", img.ID, img.Status)
		}
	}
	requirePollLoopsExited(t, c)
}

func TestWaitForActions_oneFailureLeavesTheOthersWaiting(t *testing.T) {
	c, emu := newPollingClient(t, emulator.Options{ActionDuration: 100 * time.Millisecond}, 10*time.Millisecond)
	actions := startSnapshots(t, c, emu, 2)
	emu.FailNextAction("create_image", "image_failed", "disk read error")
	actions = append(actions, startSnapshots(t, c, emu, 3)...)

	errs := waitEach(c, background(len(actions)), actions)
	for i, err := range errs {
		var actionErr *hcloud.ActionError
		switch {
		case i == 2 && (!errors.As(err, &actionErr) || actionErr.ActionID != actions[2].ID || actionErr.Code != "image_failed"):
			t.Errorf("the failing action's wait: err = %v, want its ActionError image_failed", err)
		case i != 2 && err != nil:
			t.Errorf("wait %d: %v, want success despite another action failing", i, err)
		}
	}
	requirePollLoopsExited(t, c)
}

func TestWaitForActions_cancellingOneWaitLeavesTheOthers(t *testing.T) {
	c, emu := newPollingClient(t, emulator.Options{ActionDuration: 300 * time.Millisecond}, 10*time.Millisecond)
	actions := startSnapshots(t, c, emu, 4)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	polled := make(chan struct{})
	var once sync.Once
	seen := 0
	progress := func(hcloud.ActionProgress) { // the first call reports the action as passed in
		if seen++; seen == 2 {
			once.Do(func() { close(polled) })
		}
	}

	var mu sync.Mutex
	var order []int
	errs := make([]error, len(actions))
	var wg sync.WaitGroup
	for i, a := range actions {
		wg.Go(func() {
			if i == 0 {
				errs[i] = c.WaitForActions(ctx, progress, a)
			} else {
				errs[i] = c.WaitForActions(context.Background(), nil, a)
			}
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
		})
	}
	<-polled // the cancelled wait is one of the poller's when it is cancelled
	cancel()
	wg.Wait()

	if !errors.Is(errs[0], context.Canceled) {
		t.Errorf("the cancelled wait: err = %v, want context.Canceled", errs[0])
	}
	if order[0] != 0 {
		t.Errorf("waits ended in the order %v; the cancelled one should end first, long before the actions", order)
	}
	for i, err := range errs[1:] {
		if err != nil {
			t.Errorf("wait %d: %v, want success despite another wait being cancelled", i+1, err)
		}
	}
	requirePollLoopsExited(t, c)

	// A wait after the loop has stopped starts a new one.
	if err := c.WaitForActions(context.Background(), nil, startSnapshots(t, c, emu, 1)...); err != nil {
		t.Fatal(err)
	}
	requirePollLoopsExited(t, c)
	if n := logOf(c).count(hcloud.PollStartedMsg); n != 2 {
		t.Errorf("%d poll loops started, want one for the concurrent waits and one for the last", n)
	}
}

func TestWaitForActions_failedPollIsReturnedToItsWaiters(t *testing.T) {
	// A long interval: all three waits join before the first tick, so they share its request.
	c, emu := newPollingClient(t, emulator.Options{ActionDuration: time.Hour}, 100*time.Millisecond)
	actions := startSnapshots(t, c, emu, 3)
	// invalid_input is not retried: the waits must get it rather than poll on, or hang.
	emu.FailNext(emulator.Fault{Method: "GET", Path: "/v1/actions", Status: 400, Code: hcloud.CodeInvalidInput})

	for i, err := range waitEach(c, background(len(actions)), actions) {
		if !hcloud.IsAPIError(err, hcloud.CodeInvalidInput) {
			t.Errorf("wait %d: err = %v, want the poll's invalid_input", i, err)
		}
	}
	if n := emu.RequestCount("GET", "/v1/actions"); n != 1 {
		t.Errorf("%d polling requests, want the one that failed for all three waits", n)
	}
	requirePollLoopsExited(t, c)
}

func TestWaitForActions_sameActionInSeveralWaits(t *testing.T) {
	c, emu := newPollingClient(t, emulator.Options{ActionDuration: 50 * time.Millisecond}, 10*time.Millisecond)
	a := startSnapshots(t, c, emu, 1)[0]
	actions := []*hcloud.Action{a, a, a}
	for i, err := range waitEach(c, background(len(actions)), actions) {
		if err != nil {
			t.Errorf("wait %d: %v", i, err)
		}
	}
	requirePollLoopsExited(t, c)
}

func TestPickDue_checksEveryDueActionAndFillsTheRequests(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
	span := func(from, to int64) []int64 {
		var ids []int64
		for id := from; id <= to; id++ {
			ids = append(ids, id)
		}
		return ids
	}
	cases := []struct {
		name string
		due  map[int64]time.Time
		want [][]int64
	}{
		{"nothing due yet", map[int64]time.Time{1: at(1), 2: at(5)}, nil},
		{"one due takes the others along", map[int64]time.Time{3: at(9), 1: at(0), 2: at(-5)}, [][]int64{{2, 1, 3}}},
		{"spare room goes to the soonest due", func() map[int64]time.Time {
			due := map[int64]time.Time{}
			for id := int64(1); id <= 60; id++ {
				due[id] = at(int(id) - 30) // 1…30 are due, 31… are not yet
			}
			return due
		}(), [][]int64{span(1, 25), span(26, 50)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := hcloud.PickDue(tc.due, now)
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestWaitForActions_keepsWaitingThroughAFailedPoll(t *testing.T) {
	c, emu := newClient(t, emulator.Options{ActionDuration: 100 * time.Millisecond})
	actions := startSnapshots(t, c, emu, 3)
	// More 503s than the client retries: the first poll fails for good, a later one succeeds.
	emu.FailNext(emulator.Fault{Method: "GET", Path: "/v1/actions", Count: 8, Status: 503, Code: "unavailable"})
	for i, err := range waitEach(c, background(len(actions)), actions) {
		if err != nil {
			t.Errorf("wait %d: %v, want success once the API answers again", i, err)
		}
	}
	if n := emu.RequestCount("GET", "/v1/actions"); n < 9 {
		t.Errorf("%d polling requests, want the 8 failed ones and at least one more", n)
	}
	requirePollLoopsExited(t, c)
}
