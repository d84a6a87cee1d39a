package emulator

import (
	"testing"
	"time"
)

func TestCreateImageAction_progressFollowsTheConfiguredShape(t *testing.T) {
	// Progress read at 0 %, 10 %, 30 %, 50 %, 80 % and 99.9 % of a 100 s action.
	at := []time.Duration{0, 10 * time.Second, 30 * time.Second, 50 * time.Second, 80 * time.Second, 99900 * time.Millisecond}
	cases := []struct {
		shape ProgressShape
		want  []int
	}{
		{"", []int{0, 10, 30, 50, 80, 99}},
		{ProgressLinear, []int{0, 10, 30, 50, 80, 99}},
		{ProgressStalled, []int{0, 0, 0, 0, 0, 0}},
		{ProgressSteps, []int{0, 0, 25, 50, 75, 75}},
		{ProgressSlowStart, []int{0, 1, 9, 25, 64, 99}},
	}
	for _, c := range cases {
		t.Run(string(c.shape), func(t *testing.T) {
			h := newHarness(t, Options{ActionDuration: 100 * time.Second, ProgressShape: c.shape})
			created := h.createImage(SeedServerNoBackups, `{}`)
			var elapsed time.Duration
			for i, d := range at {
				h.clock.Advance(d - elapsed)
				elapsed = d
				if a := h.getAction(created.Action.ID); a.Status != "running" || a.Progress != c.want[i] {
					t.Fatalf("at %v: %s %d%%, want running %d%%", d, a.Status, a.Progress, c.want[i])
				}
			}
			h.clock.Advance(100*time.Second - elapsed)
			if a := h.getAction(created.Action.ID); a.Status != "success" || a.Progress != 100 {
				t.Fatalf("at the end: %s %d%%, want success 100%%", a.Status, a.Progress)
			}
		})
	}
}

func TestParseProgressShape_namesTheShapesOnAnUnknownOne(t *testing.T) {
	if s, err := ParseProgressShape(""); err != nil || s != ProgressLinear {
		t.Errorf(`"" = %q, %v; want linear`, s, err)
	}
	if s, err := ParseProgressShape("slow-start"); err != nil || s != ProgressSlowStart {
		t.Errorf("slow-start = %q, %v", s, err)
	}
	_, err := ParseProgressShape("sideways")
	if err == nil || err.Error() != `unknown progress shape "sideways" (one of linear, stalled, steps, slow-start)` {
		t.Errorf("sideways: %v", err)
	}
}
