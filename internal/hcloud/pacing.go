package hcloud

import (
	"sync"
	"time"
)

// Pacing: once little of the project's request budget is left, the client spends it no faster
// than it refills, so a large apply slows down instead of running into 429. A 429 costs a
// retry here, and the budget is shared by every tool and CI job of the project, which would
// see the 429s too.
const (
	// lowBudgetShare is the share of the bucket below which requests are paced. The last tenth
	// is left to the other users of the project's budget instead of being spent in one burst.
	lowBudgetShare = 0.10
	// lowBudgetFloor keeps a few requests in reserve even in a small bucket, where a tenth is
	// less than what concurrent requests spend before their answers update the estimate.
	lowBudgetFloor = 5
)

// budget estimates the project's request budget between answers: the API's last count, minus
// the requests sent since, plus what refilled meanwhile. Counting the requests sent matters
// when they are concurrent: each sees the budget its predecessors left, not the same stale
// count from the last answer.
type budget struct {
	mu        sync.Mutex
	remaining float64 // the estimate at `at`
	at        time.Time
	capacity  float64 // the bucket's size
	refill    time.Duration
	nextSlot  time.Time // the earliest start of the next paced request
	// outstanding counts the requests reserved and not yet done: waiting for their turn, or
	// sent and not yet answered.
	outstanding int
}

// observe replaces the estimate with what an answer's RateLimit headers say. served is the
// answer's Date, or now when it has none.
func (b *budget) observe(rl rateLimit, served, now time.Time) {
	// The limit is per hour and the bucket refills evenly (at 3600/h, one request a second).
	refill := time.Hour / time.Duration(rl.Limit)
	// The API does not say how large the bucket is; Reset is when it will be full again, so it
	// holds what remains plus what refills until then. Reset is measured against the answer's
	// own Date rather than our clock, which may be off.
	capacity := float64(rl.Remaining) + float64(rl.Reset.Sub(served))/float64(refill)

	b.mu.Lock()
	defer b.mu.Unlock()
	// The API's count includes the request it answers, but maybe not the other outstanding
	// ones: those still waiting for their turn certainly not. Counting them all as spent errs
	// towards the reserve, and keeps requests that come now from jumping the queue.
	b.remaining = float64(rl.Remaining - max(b.outstanding-1, 0))
	b.at = now
	b.capacity = min(float64(rl.Limit), max(capacity, float64(rl.Remaining)))
	b.refill = refill
}

// release ends a request that reserve counted, answered or not.
func (b *budget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outstanding--
}

// reserve counts one request against the budget and returns how long to wait before sending
// it; release must follow once it is done. The wait is nothing while the budget is healthy or
// unknown; once it is low, one request per refill interval, and never into a bucket that the
// estimate says is empty.
func (b *budget) reserve(now time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outstanding++
	if b.refill == 0 {
		return 0
	}
	if now.After(b.at) {
		b.remaining = min(b.capacity, b.remaining+float64(now.Sub(b.at))/float64(b.refill))
		b.at = now
	}
	b.remaining--
	if b.remaining >= max(lowBudgetFloor, lowBudgetShare*b.capacity) {
		return 0
	}
	start := later(now, b.nextSlot)
	if b.remaining < 0 {
		// Requests reserved before this one (or other tools) took the last of it: wait until
		// this request's share has refilled.
		start = later(start, now.Add(time.Duration(-b.remaining*float64(b.refill))))
	}
	b.nextSlot = start.Add(b.refill)
	return start.Sub(now)
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
