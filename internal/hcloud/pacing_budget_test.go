package hcloud

import (
	"testing"
	"time"
)

func TestBudget_pacesAtTheRefillRateOnceLow(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var b budget
	// The API's default budget, 400 of 3600 left: full again in 3200 s.
	b.observe(rateLimit{Limit: 3600, Remaining: 400, Reset: t0.Add(3200 * time.Second)}, t0, t0)

	// Down to the reserve of a tenth (360), requests go at once, even at the same instant.
	for i := range 40 {
		if d := b.reserve(t0); d != 0 {
			t.Fatalf("request %d waits %v with %v left, want no wait", i+1, d, b.remaining+1)
		}
	}
	// Below it, concurrent requests are spread one refill (1 s) apart.
	for i := range 3 {
		if d, want := b.reserve(t0), time.Duration(i)*time.Second; d != want {
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
		d := b.reserve(now)
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
	b.observe(rateLimit{Limit: 3600, Remaining: 0, Reset: t0.Add(time.Hour)}, t0, t0)
	for i := range 3 {
		if d, want := b.reserve(t0), time.Duration(i+1)*time.Second; d != want {
			t.Errorf("request %d waits %v, want %v", i+1, d, want)
		}
	}
}

func TestBudget_bucketSizeComesFromReset(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	var b budget
	// 10 requests a second into a bucket of 30 (RateBurst below RateLimit): 20 left, full in 1 s.
	b.observe(rateLimit{Limit: 36000, Remaining: 20, Reset: t0.Add(time.Second)}, t0, t0)
	if b.capacity != 30 {
		t.Errorf("capacity %v, want 30", b.capacity)
	}
	// A tenth of 30 is less than the floor of 5: 16 requests go at once (the last one into the
	// reserve's first free slot), the 17th waits one refill.
	for i := range 16 {
		if d := b.reserve(t0); d != 0 {
			t.Fatalf("request %d waits %v, want no wait", i+1, d)
		}
	}
	if d := b.reserve(t0); d != 100*time.Millisecond {
		t.Errorf("the 17th request waits %v, want one refill (100ms)", d)
	}
}
