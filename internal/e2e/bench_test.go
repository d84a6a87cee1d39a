package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The benchmarks run every scenario twice, on separate emulators: once with this provider and
// once with the official one (terraform-provider-hcloud, hetznercloud/hcloud, with its
// equivalent resource or data source), each with its default settings, on the same CLI.

// benchRow is what one provider cost in one scenario. Counts come from the emulator's
// accounting and are the headline; seconds are indicative on a shared machine.
type benchRow struct {
	requests  int
	polls     int           // GET /v1/actions
	tooMany   int           // 429 answers the emulator gave
	wall      time.Duration // of the measured command
	detection time.Duration // worst delay from an action's end to the provider seeing it; 0 = none
	failed    string        // the command failed: the first line of its error; empty when it succeeded
	peakRSS   int64         // kB: the largest peak resident set of the provider processes (bench_scale_test.go)
}

// detector measures how late a provider notices finished create_image actions: the emulator
// finishes an action ActionDuration after its create request, and the hook sees when a poll
// first reports it done.
type detector struct {
	mu       sync.Mutex
	duration time.Duration
	started  map[int64]time.Time // action id → when create_image answered
	worst    time.Duration
	tooMany  int
}

func (d *detector) observe(r *http.Request, status int, _ http.Header, body []byte) {
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if status == http.StatusTooManyRequests {
		d.tooMany++
	}
	switch {
	case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/actions/create_image") && status == http.StatusCreated:
		var out struct {
			Action struct{ ID int64 } `json:"action"`
		}
		if json.Unmarshal(body, &out) == nil {
			d.started[out.Action.ID] = now
		}
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/v1/actions") && status == http.StatusOK:
		var out struct {
			Actions []benchAction `json:"actions"`
			Action  *benchAction  `json:"action"`
		}
		if json.Unmarshal(body, &out) != nil {
			return
		}
		if out.Action != nil {
			out.Actions = append(out.Actions, *out.Action)
		}
		for _, a := range out.Actions {
			start, ok := d.started[a.ID]
			if !ok || a.Status == "running" {
				continue
			}
			delete(d.started, a.ID)
			d.worst = max(d.worst, now.Sub(start.Add(d.duration)))
		}
	}
}

type benchAction struct {
	ID     int64
	Status string
}

// benchSide is one of the two providers compared.
type benchSide struct {
	name     string
	official bool
}

var (
	ours     = benchSide{name: "ours"}
	official = benchSide{name: "official", official: true}
)

type benchEnv struct {
	emu      *emulator.Emulator
	w        *workspace
	side     benchSide
	detector *detector
}

func newBenchEnv(t *testing.T, side benchSide, opts emulator.Options) *benchEnv {
	t.Helper()
	d := &detector{duration: opts.ActionDuration, started: map[int64]time.Time{}}
	opts.OnResponse = d.observe
	emu, endpoint := emulatortest.Start(t, opts)
	var wopts []workspaceOption
	if side.official {
		wopts = append(wopts, withPeer())
	}
	w := newWorkspace(t, endpoint, emulatortest.Token, wopts...)
	return &benchEnv{emu: emu, w: w, side: side, detector: d}
}

// benchHeader declares the side's provider with an empty block: its defaults, as users run it.
func benchHeader(side benchSide) string {
	if side.official {
		return "terraform {\n  required_providers {\n    hcloud = {\n      source = \"hetznercloud/hcloud\"\n    }\n  }\n}\n\nprovider \"hcloud\" {}\n\n"
	}
	return "terraform {\n  required_providers {\n    hetzner = {\n      source = \"tf-hetzner/hetzner\"\n    }\n  }\n}\n\nprovider \"hetzner\" {}\n\n"
}

// measure runs one CLI command and reads the counters.
func (b *benchEnv) measure(t *testing.T, hcl string, args ...string) benchRow {
	t.Helper()
	b.w.writeFile("main.tf", benchHeader(b.side)+hcl)
	b.emu.ResetRequests()
	b.detector.mu.Lock()
	b.detector.worst, b.detector.tooMany = 0, 0
	b.detector.mu.Unlock()
	rss := sampleRSS(endpointOf(b.w))
	start := time.Now()
	out, err := b.w.run(args...)
	row := benchRow{wall: time.Since(start), requests: b.emu.TotalRequests(), polls: b.emu.RequestCount("GET", "/v1/actions")}
	row.peakRSS = rss.end()
	if err != nil {
		row.failed = firstError(out)
		t.Logf("%s: %s %v: %v\n%s", b.side.name, args[0], err, row.failed, out)
	}
	b.detector.mu.Lock()
	row.detection, row.tooMany = b.detector.worst, b.detector.tooMany
	b.detector.mu.Unlock()
	return row
}

// firstError is the summary of the CLI's first error diagnostic.
func firstError(out string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if s, ok := strings.CutPrefix(strings.TrimSpace(line), "Error: "); ok {
			return s
		}
	}
	return "the command failed"
}

// snapshotsOf declares one image of each server with the side's resource.
func snapshotsOf(side benchSide, servers []int64) string {
	var b strings.Builder
	for i, id := range servers {
		if side.official {
			fmt.Fprintf(&b, "resource \"hcloud_snapshot\" \"s%d\" {\n  server_id = %d\n}\n", i, id)
		} else {
			fmt.Fprintf(&b, "resource \"hetzner_image\" \"s%d\" {\n  server_id = %d\n}\n", i, id)
		}
	}
	return b.String()
}

// importsOf adopts existing snapshots with the side's resource.
func importsOf(side benchSide, ids []int64) string {
	var hcl strings.Builder
	typ := "hetzner_image"
	if side.official {
		typ = "hcloud_snapshot"
	}
	for i, id := range ids {
		fmt.Fprintf(&hcl, "import {\n  to = %s.s%d\n  id = \"%d\"\n}\nresource %q \"s%d\" {\n  server_id   = %d\n  description = \"bench %d\"\n  labels      = { bench = \"yes\" }\n}\n",
			typ, i, id, typ, i, emulator.SeedServerNoBackups, i)
	}
	return hcl.String()
}

func addServers(emu *emulator.Emulator, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = emu.AddServer(emulator.Server{Name: fmt.Sprintf("bench-%d", i), Architecture: "x86",
			DiskSize: 40, OSFlavor: "ubuntu", OSVersion: "24.04"}).ID
	}
	return ids
}

func addSnapshots(emu *emulator.Emulator, n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Description: fmt.Sprint("bench ", i),
			Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 40,
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"},
			Labels:      map[string]string{"bench": "yes"}}).ID
	}
	return ids
}

// benchScenario is one line of the table: what to run, on which emulator, for either side.
type benchScenario struct {
	name string
	// run measures the scenario for one side on a fresh emulator.
	run func(t *testing.T, side benchSide) benchRow
	// shape and duration, for single creates: the chart's points.
	shape    emulator.ProgressShape
	duration time.Duration
	// officialAs names the scenario whose official row this one is compared with: the official
	// provider does not read progress, so it runs once per action duration, on linear progress.
	officialAs string
	// bound, when not 0, is the most requests this provider may spend (a refresh: refreshBound).
	bound int
}

// singleCreate is one snapshot of one server whose action takes d, with progress of the shape.
func singleCreate(d time.Duration, shape emulator.ProgressShape) func(*testing.T, benchSide) benchRow {
	return func(t *testing.T, side benchSide) benchRow {
		b := newBenchEnv(t, side, emulator.Options{ActionDuration: d, ProgressShape: shape})
		return b.measure(t, snapshotsOf(side, []int64{emulator.SeedServerNoBackups}), "apply", "-auto-approve")
	}
}

// manyCreates is n snapshots of n servers at once, with 5 s actions.
func manyCreates(n int, opts emulator.Options, args ...string) func(*testing.T, benchSide) benchRow {
	return func(t *testing.T, side benchSide) benchRow {
		opts.ActionDuration = shortAction
		b := newBenchEnv(t, side, opts)
		return b.measure(t, snapshotsOf(side, addServers(b.emu, n)), append([]string{"apply", "-auto-approve"}, args...)...)
	}
}

const shortAction = 5 * time.Second

// benchDurations are the action durations of the single creates; every progress shape runs at
// each, for this provider.
var benchDurations = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute}

func singleCreateName(d time.Duration, shape emulator.ProgressShape) string {
	return fmt.Sprintf("create 1 snapshot, %s action, progress %s", humanDuration(d), shape)
}

func humanDuration(d time.Duration) string {
	if d >= time.Minute && d%time.Minute == 0 {
		return fmt.Sprintf("%d min", d/time.Minute)
	}
	return fmt.Sprintf("%g s", d.Seconds())
}

func benchScenarios() (long, short []benchScenario) {
	long = append(long, benchScenario{name: singleCreateName(shortAction, emulator.ProgressLinear), run: singleCreate(shortAction, emulator.ProgressLinear),
		shape: emulator.ProgressLinear, duration: shortAction})
	for _, d := range benchDurations {
		for _, shape := range emulator.ProgressShapes {
			s := benchScenario{name: singleCreateName(d, shape), run: singleCreate(d, shape), shape: shape, duration: d}
			if shape != emulator.ProgressLinear {
				s.officialAs = singleCreateName(d, emulator.ProgressLinear)
			}
			long = append(long, s)
		}
	}
	short = []benchScenario{
		{name: "create 20 snapshots of 20 servers, -parallelism=20 (5 s actions)", run: manyCreates(20, emulator.Options{}, "-parallelism=20")},
		{name: "create 20 snapshots of 20 servers, default parallelism (5 s actions)", run: manyCreates(20, emulator.Options{})},
		{name: "create 20 snapshots, -parallelism=20, budget of 40 requests left (3600/h)",
			run: manyCreates(20, emulator.Options{RateLimit: 3600, RateBurst: 40}, "-parallelism=20")},
		{name: "refresh (plan) of 100 managed images", bound: refreshBound(100, 100), run: func(t *testing.T, side benchSide) benchRow {
			b := newBenchEnv(t, side, emulator.Options{})
			hcl := importsOf(side, addSnapshots(b.emu, 100))
			if row := b.measure(t, hcl, "apply", "-auto-approve"); row.failed != "" {
				return row
			}
			return b.measure(t, hcl, "plan")
		}},
		{name: "list of 5000 images (plan)", run: func(t *testing.T, side benchSide) benchRow {
			b := newBenchEnv(t, side, emulator.Options{})
			addSnapshots(b.emu, 5000)
			hcl := "data \"hetzner_images\" \"all\" {\n  label_selector = \"bench=yes\"\n}\noutput \"n\" { value = length(data.hetzner_images.all.images) }\n"
			if side.official {
				hcl = "data \"hcloud_images\" \"all\" {\n  with_selector = \"bench=yes\"\n}\noutput \"n\" { value = length(data.hcloud_images.all.images) }\n"
			}
			return b.measure(t, hcl, "plan")
		}},
		{name: "provider start + plan of one data source", run: func(t *testing.T, side benchSide) benchRow {
			b := newBenchEnv(t, side, emulator.Options{})
			hcl := "data \"hetzner_image\" \"u\" {\n  name         = \"ubuntu-24.04\"\n  architecture = \"x86\"\n}\n"
			if side.official {
				hcl = "data \"hcloud_image\" \"u\" {\n  name              = \"ubuntu-24.04\"\n  with_architecture = \"x86\"\n}\n"
			}
			return b.measure(t, hcl, "plan")
		}},
	}
	short = append(short, scaleScenarios()...)
	return long, short
}

// benchResult is one scenario measured for both sides.
type benchResult struct {
	benchScenario
	ours, official benchRow
}

// benchOnly is the subset of scenarios BENCH_ONLY selects while working on one (a regular
// expression of their names; the report then covers only that subset), or nil for all.
func benchOnly(t *testing.T) *regexp.Regexp {
	only := os.Getenv("BENCH_ONLY")
	if only == "" {
		return nil
	}
	re, err := regexp.Compile(only)
	if err != nil {
		t.Fatalf("BENCH_ONLY: %v", err)
	}
	return re
}

// TestBenchmarkTable runs the scenarios of BENCHMARKS.md for both providers and writes the
// table and the chart (make bench). The single creates run at once, each on its own emulator,
// since they mostly wait; the short scenarios run one after another meanwhile, each for both
// providers at the same time.
func TestBenchmarkTable(t *testing.T) {
	if os.Getenv("BENCH") == "" {
		t.Skip("set BENCH=1 to run the benchmarks (make bench)")
	}
	long, short := benchScenarios()
	if re := benchOnly(t); re != nil {
		keep := func(ss []benchScenario) []benchScenario {
			ss = slices.DeleteFunc(ss, func(s benchScenario) bool { return !re.MatchString(s.name) })
			for i := range ss {
				if ss[i].officialAs == "" || !re.MatchString(ss[i].officialAs) {
					ss[i].officialAs = "" // its official run was left out: run one of its own
				}
			}
			return ss
		}
		long, short = keep(long), keep(short)
	}
	results := make(map[string]*benchResult)
	var mu sync.Mutex
	record := func(s benchScenario, side benchSide, row benchRow) {
		mu.Lock()
		defer mu.Unlock()
		r := results[s.name]
		if r == nil {
			r = &benchResult{benchScenario: s}
			results[s.name] = r
		}
		if side.official {
			r.official = row
		} else {
			r.ours = row
		}
		t.Logf("%s, %s: %+v", s.name, side.name, row)
	}
	var wg sync.WaitGroup
	for _, s := range long {
		sides := []benchSide{ours}
		if s.officialAs == "" {
			sides = append(sides, official)
		}
		for _, side := range sides {
			wg.Go(func() { record(s, side, s.run(t, side)) })
		}
	}
	wg.Go(func() {
		// Let the single creates start first: each spends its first seconds on CPU.
		if len(long) > 0 {
			time.Sleep(20 * time.Second)
		}
		// Both sides of a scenario run at the same time, so that they share whatever load the
		// machine has: their wall times are compared.
		for _, s := range short {
			var pair sync.WaitGroup
			for _, side := range []benchSide{ours, official} {
				pair.Go(func() { record(s, side, s.run(t, side)) })
			}
			pair.Wait()
		}
	})
	wg.Wait()

	var ordered []benchResult
	for _, s := range append(long, short...) {
		r := *results[s.name]
		if base := results[s.officialAs]; base != nil {
			r.official = base.official
		}
		ordered = append(ordered, r)
	}
	table := ""
	if len(ordered) > 0 {
		table = benchTable(ordered)
	}
	table += runBudgetBench(t) // the shared-budget scenarios, bench_budget_test.go
	fmt.Println("\nBENCHMARK TABLE\n" + table)
	if path := os.Getenv("BENCH_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(table), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if path := os.Getenv("BENCH_CHART"); path != "" {
		if err := os.WriteFile(path, []byte(benchChart(ordered)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
