package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The scenarios at scale: refreshes of thousands of managed images, and of a few in a large
// project. Each row's bound is what issue 24 allows: twice the cheaper of one GET per managed
// image and one list page per 50 images of the project, plus 8.

// refreshBound is the most a refresh of managed images in a project of the given size may cost.
func refreshBound(managed, project int) int {
	return 2*min(managed, (project+maxPerPageOfList-1)/maxPerPageOfList) + 8
}

// maxPerPageOfList is the API's largest page.
const maxPerPageOfList = 50

// scaleScenarios are the refreshes at scale, run after the table's other short scenarios.
func scaleScenarios() []benchScenario {
	var out []benchScenario
	for _, s := range []struct{ managed, project int }{{1000, 1000}, {5000, 5000}, {50, 5000}} {
		name := fmt.Sprintf("refresh (plan) of %d managed images in a project of %d", s.managed, s.project)
		out = append(out, benchScenario{name: name, run: refreshAtScale(s.managed, s.project), bound: refreshBound(s.managed, s.project)})
	}
	return out
}

// refreshAtScale is a plan of managed images spread evenly over a project of snapshots.
func refreshAtScale(managed, project int) func(*testing.T, benchSide) benchRow {
	return func(t *testing.T, side benchSide) benchRow {
		b := newBenchEnv(t, side, emulator.Options{})
		all := addSnapshots(b.emu, project)
		step := project / managed
		ids := make([]int64, managed)
		descs := make([]string, managed)
		for i := range ids {
			ids[i] = all[i*step]
			descs[i] = fmt.Sprint("bench ", i*step)
		}
		hcl, err := adoptInState(b, ids, descs)
		if err != nil {
			return benchRow{failed: err.Error()}
		}
		return b.measure(t, hcl, "plan")
	}
}

// managedOf declares the side's resource s<i> for each description, with the attributes that
// importsOf gives.
func managedOf(side benchSide, descs []string) string {
	typ := "hetzner_image"
	if side.official {
		typ = "hcloud_snapshot"
	}
	var hcl strings.Builder
	for i, d := range descs {
		fmt.Fprintf(&hcl, "resource %q \"s%d\" {\n  server_id   = 101\n  description = %q\n  labels      = { bench = \"yes\" }\n}\n", typ, i, d)
	}
	return hcl.String()
}

// adoptInState puts the images into the side's state as resources s0, s1 … as an import of each
// would: the first is imported through the CLI, which gives the state its shape, and the others
// are copies of it with their own id and description (importing thousands one by one takes
// minutes and is not what is measured). It returns the configuration that declares them.
func adoptInState(b *benchEnv, ids []int64, descs []string) (string, error) {
	first := importsOf(b.side, ids[:1])
	first = strings.Replace(first, `"bench 0"`, strconv.Quote(descs[0]), 1)
	b.w.writeFile("main.tf", benchHeader(b.side)+first)
	if out, err := b.w.run("apply", "-auto-approve"); err != nil {
		return "", fmt.Errorf("importing the first image: %w: %s", err, firstError(out))
	}
	path := filepath.Join(b.w.dir, "terraform.tfstate")
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var state map[string]any
	if err := json.Unmarshal(raw, &state); err != nil {
		return "", err
	}
	resources, _ := state["resources"].([]any)
	if len(resources) != 1 {
		return "", fmt.Errorf("%d resources in the state after one import", len(resources))
	}
	template, err := json.Marshal(resources[0])
	if err != nil {
		return "", err
	}
	for i := 1; i < len(ids); i++ {
		var r map[string]any
		if err := json.Unmarshal(template, &r); err != nil {
			return "", err
		}
		r["name"] = fmt.Sprint("s", i)
		inst := r["instances"].([]any)[0].(map[string]any)
		attrs := inst["attributes"].(map[string]any)
		attrs["id"], attrs["description"] = strconv.FormatInt(ids[i], 10), descs[i]
		if identity, ok := inst["identity"].(map[string]any); ok {
			for k := range identity {
				if k == "id" {
					identity[k] = attrs["id"]
				}
			}
		}
		resources = append(resources, r)
	}
	state["resources"] = resources
	state["serial"] = state["serial"].(float64) + 1
	raw, err = json.Marshal(state)
	if err != nil {
		return "", err
	}
	return managedOf(b.side, descs), os.WriteFile(path, raw, 0o600)
}

// rssSampler watches the provider processes a command starts (found by their name and by the
// emulator they were given) and keeps the largest peak resident set (VmHWM) any of them
// reached. VmHWM is itself a peak, so reading it every 20 ms until the process ends misses
// nothing but the growth of its last 20 ms; new processes are looked for every 100 ms.
type rssSampler struct {
	stop  chan struct{}
	done  chan struct{}
	mu    sync.Mutex
	peak  int64            // kB
	ticks map[string]int64 // pid → user and system CPU ticks last seen
}

// sampleRSS starts watching the processes whose environment holds HCLOUD_ENDPOINT=endpoint.
func sampleRSS(endpoint string) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{}), ticks: map[string]int64{}}
	marker := []byte("HCLOUD_ENDPOINT=" + endpoint + "\x00")
	go func() {
		defer close(s.done)
		seen := map[string]bool{} // pid → whether it is one of ours
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for n := 0; ; n++ {
			if n%5 == 0 {
				discover(seen, marker)
			}
			s.read(seen)
			select {
			case <-s.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return s
}

// discover adds the processes not seen before, marking which are provider processes of ours.
func discover(seen map[string]bool, marker []byte) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid := e.Name()
		if _, known := seen[pid]; known || pid[0] < '0' || pid[0] > '9' {
			continue
		}
		comm, err := os.ReadFile("/proc/" + pid + "/comm")
		ours := err == nil && bytes.HasPrefix(comm, []byte("terraform-provi"))
		if ours {
			env, err := os.ReadFile("/proc/" + pid + "/environ")
			ours = err == nil && bytes.Contains(env, marker)
		}
		seen[pid] = ours
	}
}

// read takes the peak and CPU time of the provider processes seen so far.
func (s *rssSampler) read(seen map[string]bool) {
	for pid, ours := range seen {
		if !ours {
			continue
		}
		kb, ticks := vmHWM(pid), cpuTicks(pid)
		s.mu.Lock()
		s.peak = max(s.peak, kb)
		s.ticks[pid] = max(s.ticks[pid], ticks)
		s.mu.Unlock()
	}
}

// end stops the sampler and returns the peak in kB (0: no provider process was seen).
func (s *rssSampler) end() int64 {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// cpu is the CPU time the provider processes had used when last seen (ticks of 10 ms).
func (s *rssSampler) cpu() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var sum int64
	for _, t := range s.ticks {
		sum += t
	}
	return time.Duration(sum) * 10 * time.Millisecond
}

// cpuTicks reads a process's user and system time in clock ticks (utime and stime of
// /proc/<pid>/stat), or 0.
func cpuTicks(pid string) int64 {
	raw, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0
	}
	// The fields after the command name, which is in parentheses and may hold spaces.
	fields := strings.Fields(string(raw[bytes.LastIndexByte(raw, ')')+1:]))
	if len(fields) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	return utime + stime
}

// vmHWM reads a process's peak resident set in kB, or 0.
func vmHWM(pid string) int64 {
	f, err := os.Open("/proc/" + pid + "/status")
	if err != nil {
		return 0
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb
		}
	}
	return 0
}

// endpointOf is the emulator endpoint a workspace gives its CLI.
func endpointOf(w *workspace) string {
	endpoint := ""
	for _, kv := range w.env { // the last one wins, as in the CLI's environment
		if v, ok := strings.CutPrefix(kv, "HCLOUD_ENDPOINT="); ok {
			endpoint = v
		}
	}
	return endpoint
}

// TestBenchmarkPhases splits the wall time of a command between the phases the API sees and
// the CPU time between the provider and the CLI, for each provider alone, one after the other:
// where a slower row's time goes (make bench does not run it; BENCH_PHASES=1 does).
func TestBenchmarkPhases(t *testing.T) {
	only := os.Getenv("BENCH_PHASES")
	if only == "" {
		t.Skip("set BENCH_PHASES to a regular expression of \"<scenario>, <side>\" (. for all) to split the list of 5000 and the refresh of 1000 into phases")
	}
	re, err := regexp.Compile(only)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range []struct {
		name  string
		setup func(b *benchEnv) string
	}{
		{"list of 5000", func(b *benchEnv) string {
			addSnapshots(b.emu, 5000)
			if b.side.official {
				return "data \"hcloud_images\" \"all\" {\n  with_selector = \"bench=yes\"\n}\noutput \"n\" { value = length(data.hcloud_images.all.images) }\n"
			}
			return "data \"hetzner_images\" \"all\" {\n  label_selector = \"bench=yes\"\n}\noutput \"n\" { value = length(data.hetzner_images.all.images) }\n"
		}},
		{"refresh of 1000", func(b *benchEnv) string {
			ids := addSnapshots(b.emu, 1000)
			descs := make([]string, len(ids))
			for i := range descs {
				descs[i] = fmt.Sprint("bench ", i)
			}
			hcl, err := adoptInState(b, ids, descs)
			if err != nil {
				t.Fatal(err)
			}
			return hcl
		}},
	} {
		// The sides take turns, so that a change in the machine's load weighs on both.
		for run := range 3 {
			for _, side := range []benchSide{ours, official} {
				if !re.MatchString(sc.name + ", " + side.name) {
					continue
				}
				var mu sync.Mutex
				var first, last time.Time
				opts := emulator.Options{OnResponse: func(*http.Request, int, http.Header, []byte) {
					mu.Lock()
					defer mu.Unlock()
					if first.IsZero() {
						first = time.Now()
					}
					last = time.Now()
				}}
				emu, endpoint := emulatortest.Start(t, opts)
				var wopts []workspaceOption
				if side.official {
					wopts = append(wopts, withPeer())
				}
				b := &benchEnv{emu: emu, w: newWorkspace(t, endpoint, emulatortest.Token, wopts...), side: side}
				hcl := sc.setup(b)
				b.w.writeFile("main.tf", benchHeader(side)+hcl)
				mu.Lock()
				first, last = time.Time{}, time.Time{}
				mu.Unlock()
				emu.ResetRequests()
				rss := sampleRSS(endpoint)
				cmd := exec.CommandContext(context.Background(), b.w.cli, "plan", "-no-color")
				cmd.Dir, cmd.Env = b.w.dir, b.w.env
				start := time.Now()
				out, err := cmd.CombinedOutput()
				end := time.Now()
				peak, providerCPU := rss.end(), rss.cpu()
				if err != nil {
					t.Fatalf("%s, %s: %v\n%s", sc.name, side.name, err, out)
				}
				ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
				cliCPU := time.Duration(ru.Utime.Nano()+ru.Stime.Nano()) - providerCPU
				t.Logf("%s, %s, run %d: wall %v = %v before the first request + %v of requests (%d) + %v after the last; CPU: provider %v, CLI %v; provider peak RSS %d MB",
					sc.name, side.name, run+1, end.Sub(start).Round(time.Millisecond), first.Sub(start).Round(time.Millisecond),
					last.Sub(first).Round(time.Millisecond), emu.TotalRequests(), end.Sub(last).Round(time.Millisecond),
					providerCPU.Round(time.Millisecond), cliCPU.Round(time.Millisecond), peak/1024)
			}
		}
	}
}
