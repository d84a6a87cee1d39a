package emulator

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// nominalLimit is what the headers report when limiting is off: the real
// API's default allowance.
const nominalLimit = 3600

// tokenBucket models the API's allowance: capacity tokens (the burst), refilled
// continuously at limit per hour. Every request takes one.
type tokenBucket struct {
	limit    int
	capacity float64
	tokens   float64
	last     time.Time
}

func newTokenBucket(limit, burst int, now time.Time) tokenBucket {
	if burst <= 0 {
		burst = limit
	}
	return tokenBucket{limit: limit, capacity: float64(burst), tokens: float64(burst), last: now}
}

func (b *tokenBucket) perSecond() float64 { return float64(b.limit) / 3600 }

func (b *tokenBucket) refill(now time.Time) {
	if now.After(b.last) {
		b.tokens = math.Min(b.capacity, b.tokens+now.Sub(b.last).Seconds()*b.perSecond())
		b.last = now
	}
}

// take spends a token, or says how long until one is there.
func (b *tokenBucket) take(now time.Time) (ok bool, retryAfter time.Duration) {
	if b.limit <= 0 {
		return true, 0
	}
	b.refill(now)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / b.perSecond() * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

// header returns the RateLimit-* headers; Reset is the unix second at which
// the bucket would be full again.
func (b *tokenBucket) header(now time.Time) http.Header {
	h := http.Header{}
	if b.limit <= 0 {
		h.Set("RateLimit-Limit", strconv.Itoa(nominalLimit))
		h.Set("RateLimit-Remaining", strconv.Itoa(nominalLimit))
		h.Set("RateLimit-Reset", strconv.FormatInt(now.Unix(), 10))
		return h
	}
	b.refill(now)
	full := now.Add(time.Duration((b.capacity - b.tokens) / b.perSecond() * float64(time.Second)))
	h.Set("RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(int(math.Floor(b.tokens))))
	h.Set("RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(full.UnixNano())/1e9)), 10))
	return h
}

// untilFullFromEmpty is how long an empty bucket takes to fill: what an
// injected 429 reports as RateLimit-Reset. Without limiting, the nominal
// allowance refills at one request a second.
func (b *tokenBucket) untilFullFromEmpty() time.Duration {
	if b.limit <= 0 {
		return nominalLimit * time.Second
	}
	return time.Duration(b.capacity / b.perSecond() * float64(time.Second))
}

// SetRateLimit replaces the request budget with a full bucket of burst requests refilled at
// limit per hour (0 turns limiting off, as Options.RateLimit does), so that a harness can set
// a project up without limits and then measure under them.
func (e *Emulator) SetRateLimit(limit, burst int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.bucket = newTokenBucket(limit, burst, e.clock())
}
