package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// benchRow is one line of the benchmark table. Counts come from the emulator's accounting and
// are the headline; seconds are indicative on a shared machine.
type benchRow struct {
	scenario  string
	requests  int
	polls     int           // GET /v1/actions
	tooMany   int           // 429 answers the emulator gave
	wall      time.Duration // of the measured command
	detection time.Duration // worst delay from an action's end to the provider seeing it; 0 = none
}

// detector measures how late the provider notices finished create_image actions: the emulator
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
	case r.Method == http.MethodGet && r.URL.Path == "/v1/actions" && status == http.StatusOK:
		var out struct {
			Actions []struct {
				ID     int64
				Status string
			} `json:"actions"`
		}
		if json.Unmarshal(body, &out) != nil {
			return
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

type benchEnv struct {
	emu      *emulator.Emulator
	w        *workspace
	detector *detector
}

func newBenchEnv(t *testing.T, opts emulator.Options) *benchEnv {
	d := &detector{duration: opts.ActionDuration, started: map[int64]time.Time{}}
	opts.OnResponse = d.observe
	emu, endpoint := emulatortest.Start(t, opts)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	return &benchEnv{emu: emu, w: w, detector: d}
}

// measure runs one CLI command with the provider's default settings and reads the counters.
func (b *benchEnv) measure(t *testing.T, scenario, hcl string, args ...string) benchRow {
	t.Helper()
	b.w.write(hcl)
	b.w.writeProvider("") // the provider's defaults, as users run it
	b.emu.ResetRequests()
	b.detector.mu.Lock()
	b.detector.worst, b.detector.tooMany = 0, 0
	b.detector.mu.Unlock()
	start := time.Now()
	if out, err := b.w.run(args...); err != nil {
		t.Fatalf("%s: %v\n%s", scenario, err, out)
	}
	row := benchRow{scenario: scenario, wall: time.Since(start), requests: b.emu.TotalRequests(),
		polls: b.emu.RequestCount("GET", "/v1/actions")}
	b.detector.mu.Lock()
	row.detection, row.tooMany = b.detector.worst, b.detector.tooMany
	b.detector.mu.Unlock()
	return row
}

const benchAction = 5 * time.Second

func snapshotsOf(servers []int64) string {
	var b strings.Builder
	for i, id := range servers {
		fmt.Fprintf(&b, "resource \"hetzner_image\" \"s%d\" {\n  server_id = %d\n}\n", i, id)
	}
	return b.String()
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

// TestBenchmarkTable runs the scenarios of BENCHMARKS.md and prints the table (make bench).
func TestBenchmarkTable(t *testing.T) {
	if os.Getenv("BENCH") == "" {
		t.Skip("set BENCH=1 to run the benchmarks (make bench)")
	}
	var rows []benchRow

	{
		b := newBenchEnv(t, emulator.Options{ActionDuration: benchAction})
		rows = append(rows, b.measure(t, "create 1 snapshot (5 s action)", snapshotsOf([]int64{101}), "apply", "-auto-approve"))
	}
	{
		b := newBenchEnv(t, emulator.Options{ActionDuration: benchAction})
		rows = append(rows, b.measure(t, "create 20 snapshots of 20 servers, -parallelism=20 (5 s actions)",
			snapshotsOf(addServers(b.emu, 20)), "apply", "-auto-approve", "-parallelism=20"))
	}
	{
		// Terraform's default parallelism of 10 writes them in two waves.
		b := newBenchEnv(t, emulator.Options{ActionDuration: benchAction})
		rows = append(rows, b.measure(t, "create 20 snapshots of 20 servers, default parallelism (5 s actions)",
			snapshotsOf(addServers(b.emu, 20)), "apply", "-auto-approve"))
	}
	{
		b := newBenchEnv(t, emulator.Options{ActionDuration: benchAction, RateLimit: 3600, RateBurst: 40})
		rows = append(rows, b.measure(t, "create 20 snapshots, -parallelism=20, budget of 40 requests left (3600/h)",
			snapshotsOf(addServers(b.emu, 20)), "apply", "-auto-approve", "-parallelism=20"))
	}
	{
		b := newBenchEnv(t, emulator.Options{ActionDuration: time.Millisecond})
		ids := addSnapshots(b.emu, 100)
		var hcl strings.Builder
		for i, id := range ids {
			fmt.Fprintf(&hcl, "import {\n  to = hetzner_image.s%d\n  id = \"%d\"\n}\nresource \"hetzner_image\" \"s%d\" {\n  server_id   = 101\n  description = \"bench %d\"\n  labels      = { bench = \"yes\" }\n}\n", i, id, i, i)
		}
		b.measure(t, "import 100", hcl.String(), "apply", "-auto-approve")
		rows = append(rows, b.measure(t, "refresh (plan) of 100 managed images", hcl.String(), "plan"))
	}
	{
		b := newBenchEnv(t, emulator.Options{})
		addSnapshots(b.emu, 5000)
		rows = append(rows, b.measure(t, "hetzner_images over 5000 images (plan)",
			"data \"hetzner_images\" \"all\" {\n  type = [\"snapshot\"]\n}\noutput \"n\" { value = length(data.hetzner_images.all.images) }\n", "plan"))
		b2 := newBenchEnv(t, emulator.Options{})
		rows = append(rows, b2.measure(t, "provider start + plan of one data source",
			"data \"hetzner_image\" \"u\" {\n  name         = \"ubuntu-24.04\"\n  architecture = \"x86\"\n}\n", "plan"))
	}

	var out strings.Builder
	out.WriteString("| scenario | API requests | action polls | 429 answers | detection delay | wall time |\n")
	out.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, r := range rows {
		detection := "—"
		if r.detection > 0 {
			detection = r.detection.Round(time.Millisecond).String()
		}
		fmt.Fprintf(&out, "| %s | %d | %d | %d | %s | %s |\n", r.scenario, r.requests, r.polls, r.tooMany, detection, r.wall.Round(100*time.Millisecond))
	}
	fmt.Println("\nBENCHMARK TABLE\n" + out.String())
	if path := os.Getenv("BENCH_OUT"); path != "" {
		if err := os.WriteFile(path, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
