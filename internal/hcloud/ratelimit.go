package hcloud

import (
	"net/http"
	"strconv"
	"time"
)

// The API's rate limit as its answers state it: every answer, a 429 included, carries the
// RateLimit-Limit (requests per hour), -Remaining and -Reset (when the bucket is full again)
// headers. The client reads them into its budget (pacing.go), which paces requests and times
// the resend of a refused one (budgetwait.go).

// rateLimit is what the API says about the request budget in an answer's headers.
type rateLimit struct {
	Limit     int
	Remaining int
	Reset     time.Time
}

// parseRateLimit reads the RateLimit-Limit, -Remaining and -Reset headers; ok is false when
// any of them is missing or malformed. A limit below 1 or a negative count is malformed: the
// waits divide the hour by the limit.
func parseRateLimit(h http.Header) (rl rateLimit, ok bool) {
	limit, err1 := strconv.Atoi(h.Get("RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("RateLimit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit < 1 || remaining < 0 {
		return rateLimit{}, false
	}
	return rateLimit{Limit: limit, Remaining: remaining, Reset: time.Unix(reset, 0)}, true
}

// retryAfter reads a Retry-After header in seconds. The API is not documented to send one, but
// a proxy in front of it may.
func retryAfter(h http.Header) (time.Duration, bool) {
	s, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || s < 0 {
		return 0, false
	}
	return time.Duration(s) * time.Second, true
}

// rememberRateLimit feeds an answer's headers to the budget estimate.
func (c *Client) rememberRateLimit(resp *http.Response) {
	rl, ok := parseRateLimit(resp.Header)
	if !ok {
		return
	}
	now := c.now()
	served, err := http.ParseTime(resp.Header.Get("Date"))
	if err != nil {
		served = now
	}
	c.budget.observe(rl, served, now, resp.StatusCode == http.StatusTooManyRequests)
}
