package hcloud

import (
	"fmt"
	"testing"
	"time"
)

// progressAt is the progress, in whole percent, of an action of the given shape that has done
// the fraction x of its duration: the shapes of the emulator's --progress-shape, written again
// here so that the client's tests do not depend on the emulator's code.
func progressAt(shape string, x float64) int {
	var p float64
	switch shape {
	case "stalled":
	case "steps":
		p = 25 * float64(int(4*x))
	case "slow-start":
		p = 100 * x * x
	default:
		p = 100 * x
	}
	return min(max(int(p), 0), 99)
}

// checkSchedule plays the predictor against an action of the given shape and duration on a
// fake clock, each check answered after latency. It returns the checks made and how late the
// one that found the action done was sent after its end.
func checkSchedule(shape string, duration, latency time.Duration) (checks int, late time.Duration) {
	p := newEndPredictor(500 * time.Millisecond)
	var now time.Duration
	for checks < 1000 {
		now += p.next(now)
		checks++
		if now+latency/2 >= duration {
			return checks, now + latency/2 - duration
		}
		p.observe(now, now+latency, progressAt(shape, float64(now+latency/2)/float64(duration)))
		now += latency
	}
	return checks, -1
}

// backoffSchedule is the plain doubling backoff that the predictor falls back to (and that
// waits without progress use): each check is sent the time waited until the last one was sent
// plus the poll interval after it, at most a minute; the answers' latency does not add up.
func backoffSchedule(duration, latency time.Duration) (checks int, late time.Duration) {
	var now time.Duration
	for {
		now += min(time.Minute, now+500*time.Millisecond)
		checks++
		if now+latency/2 >= duration {
			return checks, now + latency/2 - duration
		}
	}
}

func TestEndPredictor_evenProgressCostsFewerChecksAndIsNoticedWithinASecond(t *testing.T) {
	for _, d := range []time.Duration{5 * time.Second, 30 * time.Second, 47 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute} {
		checks, late := checkSchedule("linear", d, 20*time.Millisecond)
		backoff, _ := backoffSchedule(d, 20*time.Millisecond)
		if checks > backoff || late > time.Second {
			t.Errorf("%v: %d checks, %v late; want at most %d checks (the backoff's), at most 1s late", d, checks, late, backoff)
		}
	}
}

func TestEndPredictor_progressThatNeverMovesFallsBackToTheBackoff(t *testing.T) {
	for _, d := range []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute} {
		checks, late := checkSchedule("stalled", d, 20*time.Millisecond)
		wantChecks, wantLate := backoffSchedule(d, 20*time.Millisecond)
		if checks != wantChecks || late != wantLate {
			t.Errorf("%v: %d checks, %v late; want the backoff's %d checks, %v late", d, checks, late, wantChecks, wantLate)
		}
	}
}

// An action whose progress speeds up, or moves in coarse steps, misleads a rate. A check that a
// window or an extrapolation brings forward uses up a time of the backoff's schedule, so such an
// action costs at most one check more than the backoff (the one that finds it still running
// just before its end), and is noticed within 2 % of its duration or as soon as by the backoff.
func TestEndPredictor_unevenProgressCostsAtMostOneCheckMoreThanTheBackoff(t *testing.T) {
	for _, shape := range []string{"steps", "slow-start"} {
		for _, d := range durations {
			t.Run(fmt.Sprint(shape, d), func(t *testing.T) {
				checks, late := checkSchedule(shape, d, 20*time.Millisecond)
				backoff, backoffLate := backoffSchedule(d, 20*time.Millisecond)
				if late < 0 || late > max(backoffLate, d/50) || checks > backoff+1 {
					t.Errorf("%d checks, %v late; want at most %d checks and max(%v, %v) late", checks, late, backoff+1, backoffLate, d/50)
				}
			})
		}
	}
}

var durations = []time.Duration{5 * time.Second, 30 * time.Second, 47 * time.Second, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute}

func TestEndPredictor_windowFromEvenProgress(t *testing.T) {
	p := newEndPredictor(500 * time.Millisecond)
	// 1 % after 0.5 s: between 1 and 2 % done, so the end is in (25 s, 50 s].
	p.observe(500*time.Millisecond, 500*time.Millisecond, 1)
	if p.lo != 25*time.Second || p.hi != 50*time.Second || p.trusted() {
		t.Fatalf("window (%v, %v], trusted %v; want (25s, 50s], untrusted", p.lo, p.hi, p.trusted())
	}
	// 12 % after 3.6 s agrees, and narrows it to (30 s, 30 s] ... (3.6/0.13, 3.6/0.12].
	p.observe(3600*time.Millisecond, 3600*time.Millisecond, 12)
	if p.lo != 27692307692 || p.hi != 30*time.Second || !p.trusted() {
		t.Fatalf("window (%v, %v], trusted %v; want (27.692307692s, 30s], trusted", p.lo, p.hi, p.trusted())
	}
	if got := p.predicted(); got != 28846153846 {
		t.Errorf("predicted end %v, want the window's middle", got)
	}
	// The next check is a probe before the window opens.
	if wait := p.next(3600 * time.Millisecond); 3600*time.Millisecond+wait > p.lo-p.interval {
		t.Errorf("next check after %v, want a probe before %v", wait, p.lo-p.interval)
	}
}

func TestEndPredictor_aChangeOfRateMovesTheAnchor(t *testing.T) {
	p := newEndPredictor(500 * time.Millisecond)
	p.observe(10*time.Second, 10*time.Second, 10) // the end in (90.9 s, 100 s]
	p.observe(20*time.Second, 20*time.Second, 40) // contradicts it: 40 % by 20 s ends by 50 s
	if p.exact || p.anchor.progress != 10 || p.anchor.sent != 10*time.Second {
		t.Fatalf("anchor %+v (exact %v); want the check at 10 s, 10 %%", p.anchor, p.exact)
	}
	// At the recent rate (3 %/s from 10 % at 10 s) it ends at 40 s; the steps seen are 10 and
	// 30, so progress is read to within 10.
	if p.lo != 30*time.Second || p.hi != 55*time.Second || p.trusted() {
		t.Errorf("window (%v, %v], trusted %v; want (30s, 55s], untrusted", p.lo, p.hi, p.trusted())
	}
}

// Progress that speeds up steadily is extrapolated: over the durations, its end is noticed
// sooner than the backoff alone notices it.
func TestEndPredictor_speedingUpProgressIsNoticedSoonerThanByTheBackoff(t *testing.T) {
	var late, backoffLate time.Duration
	for _, d := range durations {
		_, l := checkSchedule("slow-start", d, 20*time.Millisecond)
		_, bl := backoffSchedule(d, 20*time.Millisecond)
		late, backoffLate = late+l, backoffLate+bl
	}
	if late >= backoffLate/2 {
		t.Errorf("noticed %v late in total, the backoff %v; want less than half", late, backoffLate)
	}
}
