package emulator

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

func TestRateLimit_emptyBucketIsRefusedUntilRefilled(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 3600, RateBurst: 2}) // one token per second
	header := func(res result, k string) int {
		n, err := strconv.Atoi(res.header.Get(k))
		if err != nil {
			t.Fatalf("%s = %q", k, res.header.Get(k))
		}
		return n
	}

	first := h.do("GET", "/v1/images", "")
	first.wantStatus(t, 200)
	if header(first, "RateLimit-Limit") != 3600 || header(first, "RateLimit-Remaining") != 1 {
		t.Errorf("headers after 1st = %v", first.header)
	}
	if got, want := header(first, "RateLimit-Reset"), int(testEpoch.Unix())+1; got != want {
		t.Errorf("RateLimit-Reset = %d, want %d (full again in 1s)", got, want)
	}
	// Unauthenticated requests cost a token too.
	second := h.doWith("GET", "/v1/images", "", "")
	second.wantError(t, 401, "unauthorized")
	if header(second, "RateLimit-Remaining") != 0 {
		t.Errorf("remaining after 2nd = %v", second.header.Get("RateLimit-Remaining"))
	}
	third := h.do("GET", "/v1/images", "")
	third.wantError(t, http.StatusTooManyRequests, "rate_limit_exceeded")
	if ra, ok := third.header["Retry-After"]; ok {
		t.Errorf("Retry-After = %q; the API is not documented to send it, so by default it is not sent", ra)
	}
	if header(third, "RateLimit-Remaining") != 0 || header(third, "RateLimit-Reset") != int(testEpoch.Unix())+2 {
		t.Errorf("a 429 must say when the bucket is full again: %v", third.header)
	}

	h.clock.Advance(500 * time.Millisecond)
	h.do("GET", "/v1/images", "").wantError(t, http.StatusTooManyRequests, "rate_limit_exceeded")
	h.clock.Advance(time.Second)
	h.do("GET", "/v1/images", "").wantStatus(t, 200)

	if got := h.emu.RequestCount("GET", "/v1/images"); got != 5 {
		t.Errorf("counted %d, want 5 including the refused ones", got)
	}
}

func TestRateLimit_retryAfterOnlyWithTheOption(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 3600, RateBurst: 1, RetryAfter: true})
	h.do("GET", "/v1/images", "").wantStatus(t, 200)
	refused := h.do("GET", "/v1/images", "")
	refused.wantError(t, http.StatusTooManyRequests, "rate_limit_exceeded")
	if got := refused.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
}

func TestRateLimit_burstDefaultsToLimit(t *testing.T) {
	h := newHarness(t, Options{RateLimit: 3})
	for range 3 {
		h.do("GET", "/v1/images", "").wantStatus(t, 200)
	}
	h.do("GET", "/v1/images", "").wantError(t, http.StatusTooManyRequests, "rate_limit_exceeded")
	h.clock.Advance(20 * time.Minute) // 3/h = one per 20 minutes
	h.do("GET", "/v1/images", "").wantStatus(t, 200)
}

func TestRateLimit_offStillSendsNominalHeaders(t *testing.T) {
	h := newHarness(t, Options{})
	for range 5 {
		res := h.do("GET", "/v1/images", "")
		if res.header.Get("RateLimit-Limit") != "3600" || res.header.Get("RateLimit-Remaining") != "3600" {
			t.Fatalf("headers = %v", res.header)
		}
	}
}

func TestSetRateLimit_startsAFullBucketOfTheNewSize(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	e := New(Options{Clock: func() time.Time { return now }})
	e.SetRateLimit(3600, 2)
	for i, want := range []bool{true, true, false} {
		if ok, _ := e.bucket.take(now); ok != want {
			t.Errorf("request %d allowed %t, want %t", i+1, ok, want)
		}
	}
	if h := e.bucket.header(now); h.Get("RateLimit-Limit") != "3600" || h.Get("RateLimit-Remaining") != "0" {
		t.Errorf("headers %v, want the new limit with nothing left", h)
	}
}
