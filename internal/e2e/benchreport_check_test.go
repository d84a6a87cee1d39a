package e2e

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// sampleResults is a run in miniature: one duration, two shapes, and the 20-creates row.
func sampleResults() []benchResult {
	d := 30 * time.Second
	linear := singleCreateName(d, emulator.ProgressLinear)
	return []benchResult{
		{benchScenario: benchScenario{name: linear, shape: emulator.ProgressLinear, duration: d},
			ours:     benchRow{requests: 6, polls: 4, detection: 200 * time.Millisecond, wall: 31 * time.Second},
			official: benchRow{requests: 8, polls: 6, detection: 1500 * time.Millisecond, wall: 32 * time.Second}},
		{benchScenario: benchScenario{name: singleCreateName(d, emulator.ProgressStalled), shape: emulator.ProgressStalled, duration: d, officialAs: linear},
			ours:     benchRow{requests: 8, polls: 6, detection: 1500 * time.Millisecond, wall: 32 * time.Second},
			official: benchRow{requests: 8, polls: 6, detection: 1500 * time.Millisecond, wall: 32 * time.Second}},
		{benchScenario: benchScenario{name: "create 20 snapshots of 20 servers, -parallelism=20 (5 s actions)"},
			ours:     benchRow{requests: 45, polls: 5, detection: 300 * time.Millisecond},
			official: benchRow{requests: 120, polls: 80, detection: 2500 * time.Millisecond}},
		{benchScenario: benchScenario{name: "create 20 snapshots, -parallelism=20, budget of 40 requests left (3600/h)"},
			ours:     benchRow{requests: 45},
			official: benchRow{requests: 140, tooMany: 121, failed: "rate limit exceeded"}},
		{benchScenario: benchScenario{name: "refresh (plan) of 1000 managed images in a project of 1000", bound: refreshBound(1000, 1000)},
			ours: benchRow{requests: 39}, official: benchRow{requests: 1000}},
		{benchScenario: benchScenario{name: "refresh (plan) of 50 managed images in a project of 5000", bound: refreshBound(50, 5000)},
			ours: benchRow{requests: 109}, official: benchRow{requests: 50}},
	}
}

func TestBenchTable_showsBothProvidersWithRatiosAndJudgesTheTargets(t *testing.T) {
	table := benchTable(sampleResults())
	for _, want := range []string{
		"| create 1 snapshot, 30 s action, progress linear | 6 / 8 (0.75×) | 4 / 6 (0.67×) | 0 / 0 | 200ms / 1.5s (0.13×) | 31s / 32s (0.97×) |",
		// The stalled shape is the worst case of the duration, and misses the delay target.
		"| create 1 snapshot, 30 s action: requests ≤ 1.0× on every shape | worst 1.00× (stalled) | yes |",
		"| create 1 snapshot, 30 s action: detection delay ≤ 0.5× on every shape | worst 1.00× (stalled) | **no** |",
		"| 20 creates at once: requests ≤ 0.3× | 0.38× (45 / 120) | **no** |",
		"| 20 creates at once: detection delay ≤ 0.5 s | 300ms | yes |",
		"| low budget: no 429 reaches the user, nothing fails | 0 × 429, succeeded | yes |",
		"- create 20 snapshots, -parallelism=20, budget of 40 requests left (3600/h): the official provider failed: rate limit exceeded",
		// A refresh is judged by its bound, 2·min(N, ⌈P/50⌉) + 8.
		"| refresh (plan) of 1000 managed images in a project of 1000: requests ≤ 48 | 39, succeeded | yes |",
		"| refresh (plan) of 50 managed images in a project of 5000: requests ≤ 108 | 109, succeeded | **no** |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
}

func TestBenchChart_isSVGWithALinePerSeries(t *testing.T) {
	svg := benchChart(sampleResults())
	if err := xml.Unmarshal([]byte(svg), new(struct{})); err != nil {
		t.Fatalf("not well-formed XML: %v\n%s", err, svg)
	}
	// Two panels, each with the official provider and this provider on two shapes.
	if n := strings.Count(svg, "<polyline"); n != 6 {
		t.Errorf("%d lines, want 6 (3 series × 2 panels)", n)
	}
	for _, want := range []string{"official provider", "this provider, linear", "this provider, stalled", "API requests of one create", "detection delay (s)", "30 s"} {
		if !strings.Contains(svg, want) {
			t.Errorf("chart lacks %q", want)
		}
	}
}

func TestChartSeries_theOfficialProviderIsOneLineFromItsOwnRuns(t *testing.T) {
	series := chartSeriesOf(sampleResults())
	if len(series) != 3 || series[0].label != "official provider" || len(series[0].points) != 1 {
		t.Fatalf("series = %+v; want the official provider once (its linear run), then two shapes", series)
	}
	if p := series[0].points[0]; p.requests != 8 || p.detection != 1500*time.Millisecond {
		t.Errorf("official point = %+v", p)
	}
}

func TestNiceCeil(t *testing.T) {
	for in, want := range map[float64]float64{0: 1, 0.7: 1, 3: 5, 12: 20, 48: 50, 51: 100, 100: 100} {
		if got := niceCeil(in); got != want {
			t.Errorf("niceCeil(%g) = %g, want %g", in, got, want)
		}
	}
}
