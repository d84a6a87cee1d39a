package hcloud

import (
	"math"
	"time"
)

// endPredictor decides when to check one running action next, from the progress the API
// reported at each check and the time waited. A snapshot takes minutes, and the question is
// when it ends: checking every few seconds wastes the project's request budget, checking
// rarely notices the end late.
//
// Progress comes in whole percent, and nothing promises that it rises evenly. The predictor
// reads every check as an interval: progress p at time t means the action has done between p
// and p+q percent (q, the granularity, is the largest step that every rise seen is a multiple
// of), so if it rises at a steady rate from its anchor (the start of the wait at 0 %), it ends
// in the window (lo, hi]. Each check narrows the window. A check that falls outside it shows
// the rate changed (a slow start, a stall, a jump): the anchor moves to the check before, so
// the window is drawn from the recent rate only.
//
// The window is trusted once it is narrow (at most a tenth of the time measured) and the
// newest check's own window lies mostly inside the one of the check before. Then the next check
// is timed where the window says progress crosses a whole step (a probe: its answer halves the
// window before the action ends), and the check that finds the action done comes at the
// window's end, so the end is noticed within the window's width. An untrusted window only
// brings the next check forward to the window's end when that comes before the backoff's, or
// to the end extrapolated from the last three rises when progress is speeding up (a rate
// measured over the past then underestimates the rate to come).
// Without any window (progress did not move since the anchor) the checks back off: each waits
// the time waited so far plus the poll interval, at most a minute, so the checks double in
// spacing and a stalled action costs few requests.
type endPredictor struct {
	interval time.Duration // the shortest wait between checks

	anchor  progressSample   // where the rate is measured from
	exact   bool             // anchor is the start of the wait, at exactly 0 %
	samples []progressSample // checks since the anchor, oldest first
	quantum int              // granularity of progress; 0 until it first rises
	running time.Duration    // the last check that found the action running
	// slot is the time of the backoff's schedule that the last check used up. Every check comes
	// no later than the next time of that schedule and uses it up, so that the checks a window
	// brings forward never make more checks than the backoff alone.
	slot   time.Duration
	lo, hi time.Duration // the end lies in (lo, hi]; hi == 0: no window
	// The windows of the last two checks that had one, newest first: the window is trusted
	// only when the newest is narrow and lies mostly inside the one before. An action that
	// speeds up moves each window earlier, so that two consecutive ones barely touch.
	last    [2]endWindow
	windows int // checks since the anchor that drew a window
	// rises are the last three checks that saw progress rise (oldest first), from which a
	// speeding-up rate is extrapolated.
	rises []progressSample
}

type endWindow struct{ lo, hi time.Duration }

// progressSample is one check: sent and answered, as time since the wait began, and the
// progress it reported.
type progressSample struct {
	sent, answered time.Duration
	progress       int
}

// maxTrustedQuantum is the coarsest progress a window is trusted from: progress in steps of
// more than 5 % gives windows too wide to time a probe in, and each probe would cost a check.
const maxTrustedQuantum = 5

// backoffCap bounds the wait between two checks of an action whose end cannot be predicted.
const backoffCap = time.Minute

func newEndPredictor(interval time.Duration) *endPredictor {
	return &endPredictor{interval: interval, exact: true}
}

// observe records a check that found the action still running with the given progress.
func (p *endPredictor) observe(sent, answered time.Duration, progress int) {
	p.running = max(p.running, sent)
	p.slot = backoffAfter(p.interval, p.slot)
	last := p.anchor
	if n := len(p.samples); n > 0 {
		last = p.samples[n-1]
	}
	progress = max(progress, last.progress) // progress never goes back; read a lower one as unchanged
	if rise := progress - last.progress; rise > 0 {
		p.quantum = gcd(p.quantum, rise)
		p.rises = append(p.rises, progressSample{sent: sent, answered: answered, progress: progress})
		if len(p.rises) > 3 {
			p.rises = p.rises[1:]
		}
	}
	s := progressSample{sent: sent, answered: answered, progress: progress}
	p.samples = append(p.samples, s)
	if p.window() {
		return
	}
	// The new check contradicts the rate measured from the anchor: measure from the check
	// before it (the first that saw its progress, if the progress has not moved since).
	anchor := last
	for i := len(p.samples) - 2; i >= 0 && p.samples[i].progress == last.progress; i-- {
		anchor = p.samples[i]
	}
	p.anchor, p.exact, p.samples = anchor, false, []progressSample{s}
	if !p.window() {
		p.lo, p.hi, p.last, p.windows = 0, 0, [2]endWindow{}, 0
	}
}

// window computes (lo, hi] from the checks since the anchor and reports whether they agree.
func (p *endPredictor) window() bool {
	a := p.anchor
	q := max(p.quantum, 1)
	slack := q // the anchor's own progress is known to within a step, unless it is the start
	if p.exact {
		slack = 0
	}
	lo, hi := p.running, time.Duration(0)
	var last [2]endWindow
	windows := 0
	for _, s := range p.samples {
		if s.progress <= a.progress {
			continue
		}
		// At most s.progress+q-a.progress done by s.sent, of at least 100-a.progress-slack
		// left at the anchor: the end comes no sooner than this.
		w := endWindow{lo: a.answered + scale(s.sent-a.answered, float64(100-a.progress-slack)/float64(s.progress+q-a.progress))}
		lo = max(lo, w.lo)
		if done := s.progress - a.progress - slack; done > 0 {
			// At least done by s.answered, of at most 100-a.progress: no later than this.
			w.hi = a.sent + scale(s.answered-a.sent, float64(100-a.progress)/float64(done))
			if hi == 0 || w.hi < hi {
				hi = w.hi
			}
			last = [2]endWindow{w, last[0]}
			windows++
		}
	}
	if hi != 0 && lo >= hi {
		return false
	}
	p.lo, p.hi, p.last, p.windows = lo, hi, last, windows
	return true
}

// trusted reports whether the window is narrow (at most a tenth of the time from the anchor to
// its end), progress moves in fine steps, and the newest check's own window lies at least half
// inside the one of the check before.
// Once the anchor has moved, the action has shown that its rate changes, and a third check
// must agree: an action that speeds up draws windows that drift earlier, slowly enough that
// two in a row can still overlap.
func (p *endPredictor) trusted() bool {
	if p.quantum > maxTrustedQuantum {
		return false
	}
	n, prev := p.last[0], p.last[1]
	needed := 2
	if !p.exact {
		needed = 3
	}
	if p.hi == 0 || p.windows < needed || 10*(p.hi-p.lo) > p.hi-p.anchor.answered {
		return false
	}
	overlap := min(n.hi, prev.hi) - max(n.lo, prev.lo)
	return 2*overlap >= n.hi-n.lo
}

// predicted is the best guess of the end: the middle of the window, or the extrapolated end of
// a speeding-up progress when that comes sooner; 0 when there is none.
func (p *endPredictor) predicted() time.Duration {
	if p.hi == 0 {
		return 0
	}
	mid := p.lo + (p.hi-p.lo)/2
	if end, ok := p.speedingUpEnd(); ok && !p.trusted() && end > p.running && end < mid {
		return end
	}
	return mid
}

// next returns how long after now (time since the wait began) the action should be checked.
func (p *endPredictor) next(now time.Duration) time.Duration {
	backoff := max(p.interval/4, backoffAfter(p.interval, p.slot)-now)
	if p.hi == 0 || now >= p.hi {
		return backoff
	}
	if !p.trusted() {
		// The backoff, or the window's end when that comes sooner: never more checks than the
		// backoff alone, and an end the window foresaw is noticed as it comes.
		wait := min(backoff, p.hi-now)
		if end, ok := p.speedingUpEnd(); ok && end > now {
			// A little after it: the extrapolation is rough (a tenth of the time to it), and a
			// check just before the end costs one more.
			wait = min(wait, end+max(p.interval, (end-now)/10)-now)
		}
		return max(min(p.interval, backoff), wait)
	}
	if at, ok := p.probe(now); ok {
		return at - now
	}
	from := max(p.lo, now)
	if p.hi-from <= p.interval {
		// The check that finds it done: the end is noticed within the window's width.
		return max(p.interval/2, p.hi-now)
	}
	// A window still wide when no probe fits is crossed in at most four checks.
	return from + max(p.interval, (p.hi-from)/4) - now
}

// probe picks a check before the window opens, timed where progress would cross a whole step
// if the action ended in the window's middle: whether the answer shows that step or not says
// which half the end is in. The latest such time is taken, as the answer's own interval is then
// narrowest.
func (p *endPredictor) probe(now time.Duration) (time.Duration, bool) {
	if p.hi-p.lo <= p.interval {
		return 0, false
	}
	a := p.anchor
	q := max(p.quantum, 1)
	mid := p.lo + (p.hi-p.lo)/2
	latest := p.lo - p.interval
	if latest < now+p.interval {
		return 0, false
	}
	rest := float64(100 - a.progress)
	// Progress k is crossed at a.answered + (mid-a.answered)*(k-a.progress)/rest.
	k := a.progress + int(rest*float64(latest-a.answered)/float64(mid-a.answered))/q*q
	k = min(k, 99/q*q)
	at := a.answered + scale(mid-a.answered, float64(k-a.progress)/rest)
	last := p.samples[len(p.samples)-1]
	if k <= last.progress || at < now+p.interval || at > latest {
		return 0, false
	}
	return at, true
}

// speedingUpEnd extrapolates the last three rises of progress when its rate grows: a rate
// measured over the past underestimates the rate to come, and the window's end comes late.
func (p *endPredictor) speedingUpEnd() (time.Duration, bool) {
	if len(p.rises) < 3 {
		return 0, false
	}
	s0, s1, s2 := p.rises[0], p.rises[1], p.rises[2]
	d1, d2 := (s1.sent - s0.sent).Seconds(), (s2.sent - s1.sent).Seconds()
	if d1 <= 0 || d2 <= 0 {
		return 0, false
	}
	r1, r2 := float64(s1.progress-s0.progress)/d1, float64(s2.progress-s1.progress)/d2
	// The rise must outgrow what rounding to whole steps would explain half the time.
	q := float64(max(p.quantum, 1)) / 2
	if r2-q/d2 <= r1+q/d1 {
		return 0, false
	}
	accel := (r2 - r1) / ((d1 + d2) / 2)
	v := r2 + accel*d2/2 // the rate at s2
	left := float64(100 - s2.progress)
	tau := (-v + math.Sqrt(v*v+2*accel*left)) / accel
	return s2.sent + time.Duration(tau*float64(time.Second)), true
}

// backoffAfter is the first time of the backoff's schedule after the given time since the start:
// interval, then each time the time so far plus interval later, at most a minute later. The
// schedule is fixed from the start, so neither the time answers take nor the checks a window
// brings forward shift it: checks at 0.5, 1.5, 3.5, 7.5 s … after the start.
func backoffAfter(interval, after time.Duration) time.Duration {
	at := interval
	for at <= after {
		at += min(backoffCap, at+interval)
	}
	return at
}

func scale(d time.Duration, f float64) time.Duration { return time.Duration(float64(d) * f) }

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
