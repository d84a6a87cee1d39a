package e2e

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// The report of the benchmarks: the table of BENCHMARKS.md, the targets it is held to, and the
// chart. Pure functions of the measured rows, so they are tested without running anything.

// ratio is ours/theirs as the table prints it; "—" when theirs is zero.
func ratio(ours, theirs float64) string {
	if theirs == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", ours/theirs)
}

func countCell(ours, theirs int) string {
	return fmt.Sprintf("%d / %d (%s)", ours, theirs, ratio(float64(ours), float64(theirs)))
}

func durationCell(ours, theirs time.Duration, round time.Duration) string {
	show := func(d time.Duration) string {
		if d <= 0 {
			return "—"
		}
		return d.Round(round).String()
	}
	if ours <= 0 && theirs <= 0 {
		return "—"
	}
	return fmt.Sprintf("%s / %s (%s)", show(ours), show(theirs), ratio(ours.Seconds(), theirs.Seconds()))
}

// benchTable is the Markdown table: every cell is ours / official (ours ÷ official), then the
// targets and how each was met.
func benchTable(results []benchResult) string {
	var out strings.Builder
	out.WriteString("| scenario | API requests | action polls | 429 answers | detection delay | wall time |\n")
	out.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	var failures []string
	for _, r := range results {
		name := r.name
		for _, side := range []struct {
			who string
			row benchRow
		}{{"this provider", r.ours}, {"the official provider", r.official}} {
			if side.row.failed != "" {
				name += " ✗"
				failures = append(failures, fmt.Sprintf("- %s: %s failed: %s", r.name, side.who, side.row.failed))
			}
		}
		fmt.Fprintf(&out, "| %s | %s | %s | %d / %d | %s | %s |\n", name,
			countCell(r.ours.requests, r.official.requests), countCell(r.ours.polls, r.official.polls),
			r.ours.tooMany, r.official.tooMany,
			durationCell(r.ours.detection, r.official.detection, time.Millisecond),
			durationCell(r.ours.wall, r.official.wall, 100*time.Millisecond))
	}
	if len(failures) > 0 {
		out.WriteString("\n✗ A command failed:\n\n" + strings.Join(failures, "\n") + "\n")
	}
	out.WriteString("\n" + benchTargets(results))
	return out.String()
}

// benchTarget is one goal and whether the run met it.
type benchTarget struct {
	goal, measured string
	met            bool
}

// benchTargets checks the run against the goals the provider is held to, on every progress
// shape, and names the worst case of each.
func benchTargets(results []benchResult) string {
	var targets []benchTarget
	for _, d := range benchDurations {
		worstReq, worstDet := -1.0, -1.0
		var reqShape, detShape emulator.ProgressShape
		for _, r := range results {
			if r.duration != d || r.official.requests == 0 || r.official.detection <= 0 {
				continue
			}
			if q := float64(r.ours.requests) / float64(r.official.requests); q > worstReq {
				worstReq, reqShape = q, r.shape
			}
			if q := r.ours.detection.Seconds() / r.official.detection.Seconds(); q > worstDet {
				worstDet, detShape = q, r.shape
			}
		}
		if worstReq < 0 {
			continue
		}
		targets = append(targets,
			benchTarget{fmt.Sprintf("create 1 snapshot, %s action: requests ≤ 1.0× on every shape", humanDuration(d)),
				fmt.Sprintf("worst %.2f× (%s)", worstReq, reqShape), worstReq <= 1.0},
			benchTarget{fmt.Sprintf("create 1 snapshot, %s action: detection delay ≤ 0.5× on every shape", humanDuration(d)),
				fmt.Sprintf("worst %.2f× (%s)", worstDet, detShape), worstDet <= 0.5})
	}
	for _, r := range results {
		switch {
		case strings.HasPrefix(r.name, "create 20 snapshots of 20 servers, -parallelism=20"):
			q := float64(r.ours.requests) / float64(max(r.official.requests, 1))
			targets = append(targets,
				benchTarget{"20 creates at once: requests ≤ 0.3×", fmt.Sprintf("%.2f× (%d / %d)", q, r.ours.requests, r.official.requests), q <= 0.3},
				benchTarget{"20 creates at once: detection delay ≤ 0.5 s", r.ours.detection.Round(time.Millisecond).String(), r.ours.detection <= 500*time.Millisecond})
		case strings.Contains(r.name, "budget of 40"):
			targets = append(targets, benchTarget{"low budget: no 429 reaches the user, nothing fails",
				fmt.Sprintf("%d × 429, %s", r.ours.tooMany, okOrFailed(r.ours)), r.ours.tooMany == 0 && r.ours.failed == ""})
		case r.name == "refresh (plan) of 100 managed images":
			q := float64(r.ours.requests) / float64(max(r.official.requests, 1))
			targets = append(targets, benchTarget{"refresh of 100: requests ≤ 0.1×", fmt.Sprintf("%.2f× (%d / %d)", q, r.ours.requests, r.official.requests), q <= 0.1})
		case strings.HasPrefix(r.name, "list of 5000"):
			q := r.ours.wall.Seconds() / math.Max(r.official.wall.Seconds(), 1e-9)
			targets = append(targets,
				benchTarget{"list of 5000: 100 requests", fmt.Sprint(r.ours.requests), r.ours.requests == 100},
				benchTarget{"list of 5000: wall time ≤ 1.0×", fmt.Sprintf("%.2f×", q), q <= 1.0})
		}
	}
	for _, r := range results {
		if r.bound > 0 {
			targets = append(targets, benchTarget{fmt.Sprintf("%s: requests ≤ %d", r.name, r.bound),
				fmt.Sprintf("%d, %s", r.ours.requests, okOrFailed(r.ours)), r.ours.requests <= r.bound && r.ours.failed == ""})
		}
	}
	var out strings.Builder
	out.WriteString("| target | this run | met |\n| --- | ---: | :---: |\n")
	for _, tg := range targets {
		met := "yes"
		if !tg.met {
			met = "**no**"
		}
		fmt.Fprintf(&out, "| %s | %s | %s |\n", tg.goal, tg.measured, met)
	}
	return out.String()
}

func okOrFailed(r benchRow) string {
	if r.failed != "" {
		return "failed"
	}
	return "succeeded"
}

// chartSeries is one line of the chart: a provider, or this provider on one progress shape.
type chartSeries struct {
	label  string
	color  string
	dashed bool
	points []chartPoint
}

type chartPoint struct {
	duration  time.Duration
	requests  int
	detection time.Duration
}

var shapeColors = map[emulator.ProgressShape]string{
	emulator.ProgressLinear: "#1f77b4", emulator.ProgressStalled: "#9467bd",
	emulator.ProgressSteps: "#2ca02c", emulator.ProgressSlowStart: "#17becf",
}

// chartSeriesOf collects the single creates: the official provider (one line: it does not read
// progress), and this provider on each shape.
func chartSeriesOf(results []benchResult) []chartSeries {
	theirs := chartSeries{label: "official provider", color: "#d62728", dashed: true}
	byShape := map[emulator.ProgressShape]*chartSeries{}
	for _, r := range results {
		if r.duration == 0 {
			continue
		}
		if r.officialAs == "" && r.official.requests > 0 {
			theirs.points = append(theirs.points, chartPoint{r.duration, r.official.requests, r.official.detection})
		}
		s := byShape[r.shape]
		if s == nil {
			s = &chartSeries{label: "this provider, " + string(r.shape), color: shapeColors[r.shape]}
			byShape[r.shape] = s
		}
		s.points = append(s.points, chartPoint{r.duration, r.ours.requests, r.ours.detection})
	}
	series := []chartSeries{theirs}
	for _, shape := range emulator.ProgressShapes {
		if s := byShape[shape]; s != nil {
			series = append(series, *s)
		}
	}
	for i := range series {
		slices.SortFunc(series[i].points, func(a, b chartPoint) int { return int(a.duration - b.duration) })
	}
	return series
}

// benchChart draws two panels side by side, requests and detection delay against the action's
// duration (log scale), one line per series.
func benchChart(results []benchResult) string {
	series := chartSeriesOf(results)
	const (
		panelW, panelH = 360, 240
		left, top      = 56, 36
		gap            = 80
		width          = left + 2*panelW + gap + 20
		height         = top + panelH + 50 + 20*5
	)
	var minD, maxD time.Duration
	maxReq, maxDet := 1, 0.1
	for _, s := range series {
		for _, p := range s.points {
			if minD == 0 || p.duration < minD {
				minD = p.duration
			}
			maxD = max(maxD, p.duration)
			maxReq = max(maxReq, p.requests)
			maxDet = math.Max(maxDet, p.detection.Seconds())
		}
	}
	if minD == 0 {
		minD, maxD = time.Second, 10*time.Second
	}
	if maxD <= minD {
		maxD = minD * 10
	}
	x := func(panel int, d time.Duration) float64 {
		f := math.Log(d.Seconds()/minD.Seconds()) / math.Log(maxD.Seconds()/minD.Seconds())
		return float64(left+panel*(panelW+gap)) + f*panelW
	}
	reqTop, detTop := niceCeil(float64(maxReq)), niceCeil(maxDet)
	yReq := func(v float64) float64 { return top + panelH - v/reqTop*panelH }
	yDet := func(v float64) float64 { return top + panelH - v/detTop*panelH }

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`+"\n", width, height)
	for panel, p := range []struct {
		title string
		top   float64
		y     func(float64) float64
		unit  string
	}{{"API requests of one create", reqTop, yReq, ""}, {"detection delay (s)", detTop, yDet, "s"}} {
		x0 := float64(left + panel*(panelW+gap))
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" font-weight="bold">%s</text>`+"\n", x0, top-14, html.EscapeString(p.title))
		fmt.Fprintf(&b, `<rect x="%.0f" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", x0, top, panelW, panelH)
		for i := 0; i <= 4; i++ {
			v := p.top * float64(i) / 4
			y := p.y(v)
			fmt.Fprintf(&b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#eee"/>`+"\n", x0, y, x0+panelW, y)
			fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", x0-6, y+4, trimFloat(v))
		}
		for _, d := range chartTicks(series) {
			fmt.Fprintf(&b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`+"\n", x(panel, d), top+panelH+16, humanDuration(d))
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" text-anchor="middle">action duration</text>`+"\n", x0+panelW/2, top+panelH+34)
		for _, s := range series {
			var pts []string
			for _, pt := range s.points {
				v := float64(pt.requests)
				if panel == 1 {
					v = pt.detection.Seconds()
				}
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(panel, pt.duration), p.y(v)))
			}
			dash := ""
			if s.dashed {
				dash = ` stroke-dasharray="6 4"`
			}
			fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>`+"\n", strings.Join(pts, " "), s.color, dash)
			for _, pt := range pts {
				xy := strings.Split(pt, ",")
				fmt.Fprintf(&b, `<circle cx="%s" cy="%s" r="3" fill="%s"/>`+"\n", xy[0], xy[1], s.color)
			}
		}
	}
	for i, s := range series {
		y := top + panelH + 56 + 18*i
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/>`+"\n", left, y-4, left+30, y-4, s.color, dash)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", left+38, y, html.EscapeString(s.label))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// chartTicks are the durations measured, each labelled once.
func chartTicks(series []chartSeries) []time.Duration {
	var ticks []time.Duration
	for _, s := range series {
		for _, p := range s.points {
			if !slices.Contains(ticks, p.duration) {
				ticks = append(ticks, p.duration)
			}
		}
	}
	slices.Sort(ticks)
	return ticks
}

// niceCeil rounds an axis maximum up to 1, 2 or 5 times a power of ten.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".")
}
