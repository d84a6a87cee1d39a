package hcloud

import (
	"math/rand/v2"
	"sync"
	"time"
)

// Pacing: once little of the project's request budget is left, the client spends it no faster
// than its share of the refill, so a large apply slows down instead of running into 429. A 429
// costs a retry here, and the budget is shared by every tool and CI job of the project, which
// would see the 429s too.
const (
	// lowBudgetShare is the share of the bucket below which requests are paced. The last tenth
	// is left to the other users of the project's budget instead of being spent in one burst.
	lowBudgetShare = 0.10
	// lowBudgetFloor keeps a few requests in reserve even in a small bucket, where a tenth is
	// less than what concurrent requests spend before their answers update the estimate.
	lowBudgetFloor = 5
)

// The contention estimate: how many clients' worth of requests the bucket serves, counting
// this one as one. It weighs the answers it has seen with a decay per answer, so that it
// follows a change (another run starting or ending) within a few answers, and never goes
// beyond maxContention, which keeps a client that others outpaced for a while from waiting
// for minutes once they are gone.
const (
	contentionDecay  = 0.6
	contentionGrowth = 1.5
	maxContention    = 12
)

// budget estimates the project's request budget between answers: the API's last count, minus
// the requests sent since, plus what refilled meanwhile. Counting the requests sent matters
// when they are concurrent: each sees the budget its predecessors left, not the same stale
// count from the last answer.
//
// Other clients of the project (other Terraform runs, CI jobs, the official provider) spend the
// same budget unseen; what they spend shows only as the difference between what two answers
// say remains and what this client spent in between. From that the budget estimates the
// contention, and this client's share of the refill is one part in that many.
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

	// The last answer's count and when it came, and what this client and the others spent
	// since the answers began, each weighted down by contentionDecay per answer.
	seen          bool
	lastRemaining int
	lastAt        time.Time
	ours, theirs  float64
	// estimate is the contention the waits use: it follows ours and theirs, but rises by at
	// most half (and one) per answer, since a bucket that stays empty hides how many wait.
	estimate float64

	rng *rand.Rand // jitter; a test may seed it

	// known is closed when the first answer with headers has come, or the request that waits
	// for it (the probe) has ended without one; nil while no probe is out.
	known   chan struct{}
	unpaced bool // a probe ended without headers (answered without them, or not answered): nobody waits for one again
	// refusals counts the 429 answers: a slot given out before the latest of them was
	// computed on a contention that has proved too low (see reslot).
	refusals int
	// wakers end the waits of paced requests early once an answer shows the bucket healthy
	// again (the others have finished): their slots were given out on a contention that is over.
	wakers map[*int]func()
}

// awaitKnown is called before a request is sent. While nothing is known of the budget, one
// request goes first (probe is true: the caller calls probed once it is answered) and the
// others wait for its answer (wait is not nil): runs that start together would otherwise all
// send their first requests into a bucket that may hold only a few, and meet 429 together.
func (b *budget) awaitKnown() (wait <-chan struct{}, probe bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refill != 0 || b.unpaced {
		return nil, false
	}
	if b.known == nil {
		b.known = make(chan struct{})
		return nil, true
	}
	return b.known, false
}

// probed ends the probe of awaitKnown, answered or not; the requests that waited go on. An
// answer without headers (a proxy that drops them) means there is nothing to learn: nobody
// waits for a probe again.
func (b *budget) probed() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refill == 0 {
		b.unpaced = true
	}
	b.closeKnown()
}

// wakeOnHealthy registers wake, to be called once an answer shows the bucket healthy again;
// the returned func unregisters it.
func (b *budget) wakeOnHealthy(wake func()) (unregister func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.wakers == nil {
		b.wakers = map[*int]func(){}
	}
	key := new(int)
	b.wakers[key] = wake
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		delete(b.wakers, key)
	}
}

func (b *budget) closeKnown() {
	if b.known != nil {
		close(b.known)
		b.known = nil
	}
}

// observe replaces the estimate with what an answer's RateLimit headers say. served is the
// answer's Date, or now when it has none; refused says the answer was a 429, which did not
// spend a request.
func (b *budget) observe(rl rateLimit, served, now time.Time, refused bool) {
	// The limit is per hour and the bucket refills evenly (at 3600/h, one request a second).
	refill := time.Hour / time.Duration(rl.Limit)
	// The API does not say how large the bucket is; Reset is when it will be full again, so it
	// holds what remains plus what refills until then. Reset is measured against the answer's
	// own Date rather than our clock, which may be off.
	capacity := min(float64(rl.Limit), max(float64(rl.Remaining)+float64(rl.Reset.Sub(served))/float64(refill), float64(rl.Remaining)))

	b.mu.Lock()
	defer b.mu.Unlock()
	b.learnContention(rl.Remaining, now, refill, capacity, refused)
	if refused {
		b.refusals++
	}
	// The API's count includes the request it answers, but maybe not the other outstanding
	// ones: those still waiting for their turn certainly not. Counting them all as spent errs
	// towards the reserve, and keeps requests that come now from jumping the queue.
	remaining := float64(rl.Remaining - max(b.outstanding-1, 0))
	if b.refill != 0 && now.After(b.at) {
		// Concurrent answers are handled in whatever order their goroutines run: one overtaken
		// by later answers says more remains than is left. No answer raises the estimate
		// beyond what the bucket can have refilled since the last one, at the full rate.
		remaining = min(remaining, b.remaining+float64(now.Sub(b.at))/float64(refill))
	} else if b.refill != 0 {
		remaining = min(remaining, b.remaining)
	}
	b.remaining = remaining
	b.at = now
	b.capacity = capacity
	b.refill = refill
	b.closeKnown()
	if !refused && b.remaining >= max(lowBudgetFloor, lowBudgetShare*b.capacity) {
		for w, wake := range b.wakers {
			wake()
			delete(b.wakers, w)
		}
	}
	// A slot set while the contention was higher must not hold back the requests that come
	// once it has eased: the next is at most one share away.
	if b.nextSlot.After(now.Add(b.share())) {
		b.nextSlot = now.Add(b.share())
	}
}

// learnContention compares an answer's count with the previous answer's: what refilled in
// between, less what this client spent (one request, unless the API refused it), less what
// remains, is what the others spent. A bucket that stays empty hides how much more the others
// wanted, but not that they took every request that refilled.
func (b *budget) learnContention(remaining int, now time.Time, refill time.Duration, capacity float64, refused bool) {
	if b.ours == 0 {
		b.ours = 1 // no answer yet: assume no one else
	}
	mine := 1.0
	if refused {
		mine = 0
	}
	if b.seen && !now.Before(b.lastAt) {
		available := min(capacity, float64(b.lastRemaining)+float64(now.Sub(b.lastAt))/float64(refill))
		others := max(0, available-mine-float64(remaining))
		b.ours = b.ours*contentionDecay + mine
		b.theirs = b.theirs*contentionDecay + others
		if !refused && remaining > 0 {
			// Requests were left over after ours: the others did not want all of the refill
			// (some have finished), so what they spent earlier counts for less.
			b.theirs /= 2
		}
		seen := (b.ours + b.theirs) / b.ours
		b.estimate = min(maxContention, max(1, min(seen, b.contention()*contentionGrowth+1)))
	}
	b.seen, b.lastRemaining, b.lastAt = true, remaining, now
}

// perHour is the hourly request limit learnt from the API's headers, or 0 before any.
func (b *budget) perHour() int {
	if b.refill == 0 {
		return 0
	}
	return int(time.Hour / b.refill)
}

// contention is how many clients' worth the bucket serves, this one included, at least 1.
func (b *budget) contention() float64 {
	return max(1, b.estimate)
}

// share is the interval at which this client may send once the bucket is low: one refill per
// client that spends from it.
func (b *budget) share() time.Duration {
	return time.Duration(float64(b.refill) * b.contention())
}

// jittered spreads d over [d/2, 3d/2) once other clients spend from the bucket, so that
// clients refused at the same moment do not come back at the same moment. Alone, the schedule
// stays exact.
func (b *budget) jittered(d time.Duration, always bool) time.Duration {
	if d <= 0 || (!always && b.contention() < 1.05) {
		return d
	}
	if b.rng == nil {
		b.rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) //nolint:gosec // G404: jitter, not a secret
	}
	return d/2 + time.Duration(b.rng.Int64N(int64(d)))
}

// release ends a request that reserve counted, answered or not.
func (b *budget) release() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outstanding--
}

// reserve counts one request against the budget and returns how long to wait before sending
// it, and the count of refusals the wait was computed with (for reslot); release must follow
// once it is done. The wait is nothing while the budget is healthy or
// unknown; once it is low, one request per share of the refill, and never into a bucket that
// the estimate says is empty.
func (b *budget) reserve(now time.Time) (time.Duration, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.outstanding++
	if b.refill == 0 {
		return 0, b.refusals
	}
	share := b.share()
	if now.After(b.at) {
		b.remaining = min(b.capacity, b.remaining+float64(now.Sub(b.at))/float64(share))
		b.at = now
	}
	b.remaining--
	if b.remaining >= max(lowBudgetFloor, lowBudgetShare*b.capacity) {
		return 0, b.refusals
	}
	start := later(now, b.nextSlot)
	if b.remaining < 0 {
		// Requests reserved before this one (or other tools) took the last of it: wait until
		// this request's share has refilled.
		start = later(start, now.Add(time.Duration(-b.remaining*float64(share))))
	}
	b.nextSlot = start.Add(b.jittered(share, false))
	return start.Sub(now), b.refusals
}

// reslot is called when a request has waited for its slot. If the API refused a request of
// this client meanwhile, the slot was given out on a contention since proved too low, and with
// it every slot after it: the request takes a new slot at the end of the queue, on the share
// the refusal taught. It returns the further wait, and the refusals it was computed with.
func (b *budget) reslot(now time.Time, refusals int) (time.Duration, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if refusals == b.refusals || b.refill == 0 {
		return 0, b.refusals
	}
	share := b.share()
	start := later(now, b.nextSlot)
	b.nextSlot = start.Add(b.jittered(share, true))
	return start.Sub(now), b.refusals
}

// retryAfterRefusal returns how long a request the API refused with 429 waits before it is
// sent again: a random time between half a share of the refill and one and a half, so that
// clients refused together spread out, and after the slots this client has already given out.
// The request keeps its reservation (it is still outstanding).
func (b *budget) retryAfterRefusal(now time.Time) (time.Duration, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refill == 0 {
		return 0, b.refusals // no headers: the caller backs off instead
	}
	share := b.share()
	start := now.Add(b.jittered(share, true))
	if b.nextSlot.After(start) {
		// Behind this client's own queue, a random part of half a share after its last slot.
		start = b.nextSlot.Add(b.jittered(share/2, true) - share/4)
	}
	b.nextSlot = start.Add(b.jittered(share, false))
	return start.Sub(now), b.refusals
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
