package e2e

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The project's request budget shared by several runs at once. The emulator refills faster than
// the API's 3600/h so that the waits take seconds; the buckets are small, as when other tools of
// the project have spent most of theirs.

// budgetWarning is the start of the warning a run logs while it waits for the budget.
const budgetWarning = "waiting for the project's API request budget, which other clients of the project share"

// refusals counts the emulator's 429 answers to this provider, and the create_image requests it
// carried out.
type refusals struct {
	tooMany, created atomic.Int64
}

func (r *refusals) observe(req *http.Request, status int, _ http.Header, _ []byte) {
	switch {
	case status == http.StatusTooManyRequests && strings.HasPrefix(req.UserAgent(), "terraform-provider-hetzner/"):
		r.tooMany.Add(1)
	case req.Method == http.MethodPost && status == http.StatusCreated:
		r.created.Add(1)
	}
}

// stateImages reads the hetzner_image instances of a workspace's state: image id → server id.
func stateImages(t *testing.T, w *workspace) map[int64]int64 {
	t.Helper()
	out := map[int64]int64{}
	for addr, r := range w.resources(tfjson.ManagedResourceMode, "hetzner_image") {
		id, err := strconv.ParseInt(fmt.Sprint(r.AttributeValues["id"]), 10, 64)
		server, _ := r.AttributeValues["server_id"].(float64)
		if err != nil {
			t.Fatalf("%s: id %v", addr, r.AttributeValues["id"])
		}
		out[id] = int64(server)
	}
	return out
}

// checkEveryImageRecorded fails unless the snapshots the API holds are exactly those of the
// workspaces' states: nothing orphaned, nothing made twice.
func checkEveryImageRecorded(t *testing.T, emu *emulator.Emulator, states ...map[int64]int64) {
	t.Helper()
	recorded := map[int64]int64{}
	for _, st := range states {
		for id, server := range st {
			if _, dup := recorded[id]; dup {
				t.Errorf("image %d is in two states", id)
			}
			recorded[id] = server
		}
	}
	var orphans []int64
	perServer := map[int64]int{}
	for _, img := range emu.ImagesOfType(emulator.ImageTypeSnapshot) {
		if _, ok := recorded[img.ID]; !ok {
			orphans = append(orphans, img.ID)
		}
		if img.CreatedFrom != nil {
			perServer[img.CreatedFrom.ID]++
		}
		delete(recorded, img.ID)
	}
	if len(orphans) > 0 {
		t.Errorf("snapshots %v exist but no state records them", orphans)
	}
	if len(recorded) > 0 {
		t.Errorf("the states record images the API does not hold: %v", recorded)
	}
	for server, n := range perServer {
		if n > 1 {
			t.Errorf("server %d has %d snapshots, want one", server, n)
		}
	}
}

func TestAccBudget_concurrentAppliesShareASmallBucketAndAllSucceed(t *testing.T) {
	var count refusals
	// Ten requests a second into a bucket of 8, for four runs whose creates poll every 50 ms.
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 2 * time.Second,
		RateLimit: 36000, RateBurst: 8, OnResponse: count.observe})
	const runs, each = 4, 3
	workspaces := make([]*workspace, runs)
	servers := make([][]int64, runs)
	for i := range workspaces {
		servers[i] = addServers(emu, each)
		workspaces[i] = newWorkspace(t, endpoint, emulatortest.Token)
		workspaces[i].write(snapshotsOf(ours, servers[i]))
	}
	outs, errs := make([]string, runs), make([]error, runs)
	var wg sync.WaitGroup
	for i, w := range workspaces {
		wg.Go(func() { outs[i], errs[i] = w.run("apply", "-auto-approve") })
	}
	wg.Wait()
	states := make([]map[int64]int64, runs)
	for i, w := range workspaces {
		if errs[i] != nil {
			t.Errorf("run %d failed: %v\n%s", i+1, errs[i], outs[i])
			continue
		}
		states[i] = stateImages(t, w)
		var got []int64
		for _, server := range states[i] {
			got = append(got, server)
		}
		slices.Sort(got)
		if !slices.Equal(got, servers[i]) {
			t.Errorf("run %d recorded images of servers %v, want one of each of %v", i+1, got, servers[i])
		}
	}
	checkEveryImageRecorded(t, emu, states...)
	if n := count.created.Load(); n != runs*each {
		t.Errorf("%d create requests carried out, want %d", n, runs*each)
	}
	t.Logf("%d requests, %d answered 429", emu.TotalRequests(), count.tooMany.Load())
	if count.tooMany.Load() == 0 {
		t.Error("no request was answered 429: the bucket is too large for this test to show anything")
	}
}

func TestAccBudget_planUnderAnExhaustedBucketWaitsAndSucceeds(t *testing.T) {
	var count refusals
	// One request a second, as the API refills, into a bucket of 6.
	emu, endpoint := emulatortest.Start(t, emulator.Options{RateLimit: 3600, RateBurst: 6, OnResponse: count.observe})
	ids := addSnapshots(emu, 3)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(importsOf(ours, ids))
	if out, err := w.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// Another tool of the project spends the budget as it refills, until the plan has met a 429.
	count.tooMany.Store(0)
	stop := drainUntil(t, endpoint, func() bool { return count.tooMany.Load() > 0 })
	logPath := filepath.Join(t.TempDir(), "plan.log")
	out, err := w.runEnv([]string{"TF_LOG=WARN", "TF_LOG_PATH=" + logPath}, "plan", "-detailed-exitcode")
	stop()
	if err != nil {
		t.Fatalf("plan under an exhausted budget: %v\n%s", err, out)
	}
	if count.tooMany.Load() == 0 {
		t.Error("no request of the plan was answered 429: the budget was not exhausted")
	}
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var warnings []string
	for line := range strings.SplitSeq(string(raw), "\n") {
		if strings.Contains(line, "[WARN]") && strings.Contains(line, budgetWarning) {
			warnings = append(warnings, line)
		}
	}
	// The plan waits seconds, so one warning says it all; it names the budget and the wait.
	if len(warnings) != 1 || !strings.Contains(warnings[0], "budget=\"3600 requests per hour\"") ||
		!strings.Contains(warnings[0], "waited=") {
		t.Errorf("want one warning naming the budget and the time waited, got %d:\n%s", len(warnings), strings.Join(warnings, "\n"))
	}
}

// exhaust spends what is left of the emulator's request budget, as another client would.
func exhaust(t *testing.T, endpoint string) {
	t.Helper()
	for range 1000 {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, endpoint+"/images?per_page=1", nil)
		if err != nil {
			t.Error(err)
			return
		}
		req.Header.Set("Authorization", "Bearer "+emulatortest.Token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusTooManyRequests {
			return
		}
	}
	t.Error("the budget never ran out")
}

// drainUntil spends the budget as fast as it refills, as another tool of the project would,
// until done says the provider has met the empty bucket. A single exhaust is not enough: a
// provider that paces itself sends its next request only once its estimate of the budget has
// refilled, and so may take the refilled request before anyone else. The function it returns
// stops the draining and waits for it to end.
func drainUntil(t *testing.T, endpoint string, done func() bool) (stop func()) {
	t.Helper()
	quit, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		for !done() {
			exhaust(t, endpoint)
			select {
			case <-quit:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	var once sync.Once
	stop = func() { once.Do(func() { close(quit); <-ended }) }
	t.Cleanup(stop)
	return stop
}

// logHas reports whether the log file at path holds a line with text.
func logHas(path, text string) bool {
	raw, err := os.ReadFile(path)
	return err == nil && strings.Contains(string(raw), text)
}

func TestAccBudget_interruptDuringABudgetWaitEndsPromptlyAndRecordsEveryImage(t *testing.T) {
	var count refusals
	// One request a minute: once another tool has emptied the bucket, a request waits about a
	// minute for its turn (paced) or after a 429, with jitter at least half of it.
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: time.Hour,
		RateLimit: 60, RateBurst: 20, OnResponse: count.observe})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(snapshotsOf(ours, addServers(emu, 6)))
	logPath := filepath.Join(t.TempDir(), "apply.log")
	cmd, out := w.startEnv([]string{"TF_LOG=WARN", "TF_LOG_PATH=" + logPath}, "apply", "-auto-approve", "-parallelism=6")
	waitUntil(t, 2*time.Minute, func() bool { return count.created.Load() > 0 }, "a create request carried out", out)
	// The provider waits for the budget either after a 429 or, when its own estimate already
	// says the bucket is empty, for its paced turn without sending anything; the warning it
	// logs at the start of a wait tells both. When every create went out before the bucket was
	// emptied, the next request is a poll of an action that runs for an hour, which the poller
	// puts off by at most a minute.
	waiting := func() bool { return logHas(logPath, budgetWarning) }
	stop := drainUntil(t, endpoint, waiting)
	waitUntil(t, 3*time.Minute, waiting, "the apply waiting for the budget", out)
	stop()
	time.Sleep(500 * time.Millisecond) // the requests are waiting for their turn now
	interrupted := time.Now()
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatalf("an interrupted apply succeeded:\n%s", out)
	}
	// The waits were half a minute or more; ending promptly means well before any of them.
	if took := time.Since(interrupted); took > 20*time.Second {
		t.Errorf("the apply ended %v after the interrupt, want it to stop waiting for the budget at once", took)
	}
	made := count.created.Load()
	t.Logf("%d of 6 creates carried out before the interrupt, %d requests answered 429", made, count.tooMany.Load())
	st := stateImages(t, w)
	if len(st) != int(made) {
		t.Errorf("%d images in the state, want the %d the API made:\n%s", len(st), made, out)
	}
	checkEveryImageRecorded(t, emu, st)
	for addr, img := range w.managedImages() {
		if !img.Tainted {
			t.Errorf("%s (image %s) is untainted, although it was not finished", addr, img.ID)
		}
	}
}
