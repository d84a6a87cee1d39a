package hcloud

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBudget_pacesAtTheRefillRateOnceLow(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var b budget
	// The API's default budget, 400 of 3600 left: full again in 3200 s.
	b.observe(rateLimit{Limit: 3600, Remaining: 400, Reset: t0.Add(3200 * time.Second)}, t0, t0, false)

	// Down to the reserve of a tenth (360), requests go at once, even at the same instant.
	for i := range 40 {
		if d := waitOf(b.reserve(t0)); d != 0 {
			t.Fatalf("request %d waits %v with %v left, want no wait", i+1, d, b.remaining+1)
		}
	}
	// Below it, concurrent requests are spread one refill (1 s) apart.
	for i := range 3 {
		if d, want := waitOf(b.reserve(t0)), time.Duration(i)*time.Second; d != want {
			t.Errorf("low-budget request %d waits %v, want %v", i+1, d, want)
		}
	}
	// A sequential caller, whose requests take 10ms, sends one per refill: the budget holds.
	now := t0.Add(3 * time.Second) // the next free slot
	for i := range 5 {
		want := time.Second - 10*time.Millisecond
		if i == 0 {
			want = 0
		}
		d := waitOf(b.reserve(now))
		if d != want {
			t.Errorf("sequential request %d waits %v, want %v", i+1, d, want)
		}
		now = now.Add(d + 10*time.Millisecond)
	}
	if b.remaining < 356 || b.remaining > 360 {
		t.Errorf("estimate %v, want it held near the reserve", b.remaining)
	}
}

func TestBudget_neverSendsIntoAnEmptyBucket(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var b budget
	// Another tool left nothing: the bucket of 3600 is full again in an hour.
	b.observe(rateLimit{Limit: 3600, Remaining: 0, Reset: t0.Add(time.Hour)}, t0, t0, false)
	for i := range 3 {
		if d, want := waitOf(b.reserve(t0)), time.Duration(i+1)*time.Second; d != want {
			t.Errorf("request %d waits %v, want %v", i+1, d, want)
		}
	}
}

func TestBudget_bucketSizeComesFromReset(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var b budget
	// 10 requests a second into a bucket of 30 (RateBurst below RateLimit): 20 left, full in 1 s.
	b.observe(rateLimit{Limit: 36000, Remaining: 20, Reset: t0.Add(time.Second)}, t0, t0, false)
	if b.capacity != 30 {
		t.Errorf("capacity %v, want 30", b.capacity)
	}
	// A tenth of 30 is less than the floor of 5: 16 requests go at once (the last one into the
	// reserve's first free slot), the 17th waits one refill.
	for i := range 16 {
		if d := waitOf(b.reserve(t0)); d != 0 {
			t.Fatalf("request %d waits %v, want no wait", i+1, d)
		}
	}
	if d := waitOf(b.reserve(t0)); d != 100*time.Millisecond {
		t.Errorf("the 17th request waits %v, want one refill (100ms)", d)
	}
}

// Clients of one project refused at the same moment with the same headers (runs started
// together) must not come back together: their resends spread over at least one refill, and
// once they have learnt the contention, over one share each.
func TestBudget_refusedClientsDoNotRetryInStep(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	empty := rateLimit{Limit: 3600, Remaining: 0, Reset: t0.Add(12 * time.Second)}
	const clients = 8
	budgets := make([]*budget, clients)
	for i := range budgets {
		budgets[i] = &budget{rng: rand.New(rand.NewPCG(uint64(i), 7))} //nolint:gosec // G404: repeatable jitter
	}
	now := t0
	for round := range 4 {
		var waits []time.Duration
		for _, b := range budgets {
			b.observe(empty, now, now, true)
			waitOf(b.reserve(now))
			waits = append(waits, waitOf(b.retryAfterRefusal(now)))
			b.release()
		}
		slices.Sort(waits)
		share := budgets[0].share()
		// Jitter spreads the resends over a whole share: all eight within a quarter of it
		// would mean they come back in step.
		if spread := waits[clients-1] - waits[0]; spread < share/4 {
			t.Errorf("round %d: resends within %v of each other (share %v): %v", round+1, spread, share, waits)
		}
		for i := 1; i < clients; i++ {
			if waits[i] == waits[i-1] {
				t.Errorf("round %d: two clients resend after exactly %v", round+1, waits[i])
			}
		}
		// Refused again: the contention they see grows, and their waits with it.
		if round > 0 && share <= time.Second {
			t.Errorf("round %d: share %v after repeated refusals, want it to grow beyond one refill", round+1, share)
		}
		now = now.Add(waits[clients-1])
	}
}

// waitOf drops the refusal count that goes with a wait.
func waitOf(d time.Duration, _ int) time.Duration { return d }
