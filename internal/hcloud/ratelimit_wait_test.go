package hcloud_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// sharedBucket is the API's request budget as one project's clients share it, on the client's
// fake clock: a bucket of capacity refilled at limit per hour, from which another client (not
// seen by the one under test) takes what its demand asks for before each request of ours is
// counted. It answers every request it can afford with an image, and the rest with 429.
type sharedBucket struct {
	now      func() time.Time
	limit    int
	capacity float64
	tokens   float64
	last     time.Time
	// others is how many requests the other clients want per second at a time since start.
	others func(since time.Duration) float64
	start  time.Time

	mu        sync.Mutex
	attempts  []time.Duration // when each request of ours came, since start
	refused   []time.Duration // when each 429 was answered
	onRefused func()
}

func (b *sharedBucket) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
	}
	now := b.now()
	if b.last.IsZero() {
		b.last = now
	}
	perSecond := float64(b.limit) / 3600
	// Refill and the other clients' demand, in steps of 10 ms, so that they compete for the
	// refill as it comes.
	for t := b.last; t.Before(now); {
		step := min(10*time.Millisecond, now.Sub(t))
		b.tokens = min(b.capacity, b.tokens+step.Seconds()*perSecond)
		b.tokens = max(0, b.tokens-step.Seconds()*b.others(t.Sub(b.start)))
		t = t.Add(step)
	}
	b.last = now
	at := now.Sub(b.start)
	b.attempts = append(b.attempts, at)
	status, body := http.StatusOK, `{"image":{"id":1,"type":"system","status":"available","name":"ubuntu-24.04"}}`
	if b.tokens < 1 {
		status, body = http.StatusTooManyRequests, `{"error":{"code":"rate_limit_exceeded","message":"limit of requests per hour reached"}}`
		b.refused = append(b.refused, at)
		if b.onRefused != nil {
			b.onRefused()
		}
	} else {
		b.tokens--
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("RateLimit-Limit", strconv.Itoa(b.limit))
	h.Set("RateLimit-Remaining", strconv.Itoa(int(math.Floor(b.tokens))))
	full := now.Add(time.Duration((b.capacity - b.tokens) / perSecond * float64(time.Second)))
	h.Set("RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(full.UnixNano())/1e9)), 10))
	return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

// Each trace is one client of a project sending requests one after another while other clients
// spend from the same budget, on the fake clock. The waits it chooses must leave it no error
// while the deadline leaves time, cost few refused requests, and spread out.
func TestBudgetWait_sharedBudgetTraces(t *testing.T) {
	const limit = 3600 // one request a second
	tests := []struct {
		name     string
		capacity float64
		tokens   float64 // at the start
		others   func(since time.Duration) float64
		requests int
		timeout  time.Duration // of each request; 0: none (the default for reads applies)
		// the outcome
		wantErr       func(error) bool
		maxAttempts   int
		maxRefused    int           // 429 answers in all
		minWall       time.Duration // the refill alone needs this long
		maxWall       time.Duration
		minRetrySpace time.Duration // no resend closer than this to the 429 it follows
	}{
		{
			name: "another run emptied the bucket and stopped", capacity: 12, tokens: 0,
			others:   func(time.Duration) float64 { return 0 },
			requests: 10, maxAttempts: 12, maxRefused: 2,
			minWall: 9 * time.Second, maxWall: 15 * time.Second,
		},
		{
			name: "another run takes half of the refill throughout", capacity: 12, tokens: 0,
			others:   func(time.Duration) float64 { return 0.5 },
			requests: 20, maxAttempts: 30, maxRefused: 10,
			minWall: 40 * time.Second, maxWall: 60 * time.Second,
		},
		{
			name: "three other runs take three quarters of it", capacity: 40, tokens: 0,
			others:   func(time.Duration) float64 { return 0.75 },
			requests: 20, maxAttempts: 30, maxRefused: 10,
			minWall: 80 * time.Second, maxWall: 120 * time.Second,
		},
		{
			name: "others take all of it for two minutes, then stop", capacity: 12, tokens: 0,
			others: func(s time.Duration) float64 {
				if s < 2*time.Minute {
					return 2
				}
				return 0
			},
			// Waits that grow with the contention: far fewer than one attempt per refill while
			// nothing is left, and the work done soon after the others stop.
			requests: 10, maxAttempts: 40, maxRefused: 30,
			minWall: 2*time.Minute + 9*time.Second, maxWall: 2*time.Minute + 60*time.Second,
			minRetrySpace: 500 * time.Millisecond,
		},
		{
			name: "the operation's timeout ends a wait that cannot succeed", capacity: 12, tokens: 0,
			others:   func(time.Duration) float64 { return 2 },
			requests: 1, timeout: 30 * time.Second,
			wantErr: func(err error) bool {
				return hcloud.IsAPIError(err, "rate_limit_exceeded") && !errors.Is(err, context.DeadlineExceeded)
			},
			maxAttempts: 30, maxRefused: 30, maxWall: 30 * time.Second,
		},
		{
			name: "a read without a deadline waits up to its default", capacity: 12, tokens: 0,
			others:   func(time.Duration) float64 { return 2 },
			requests: 1,
			wantErr:  func(err error) bool { return hcloud.IsAPIError(err, "rate_limit_exceeded") },
			// Twenty minutes of waits, at most one per refill of a crowd of 32.
			maxAttempts: 20 * 60 / 5, maxRefused: 20 * 60 / 5, minWall: 19 * time.Minute, maxWall: 20 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bucket := &sharedBucket{limit: limit, capacity: tt.capacity, tokens: tt.tokens, others: tt.others}
			var mu sync.Mutex
			var warnings []map[string]any
			c := hcloud.New(hcloud.Options{Endpoint: "http://api.invalid/v1", Token: "secret-token",
				HTTPClient: &http.Client{Transport: bucket},
				Log: func(_ context.Context, msg string, fields map[string]any) {
					if msg == hcloud.BudgetWaitMsg {
						mu.Lock()
						warnings = append(warnings, fields)
						mu.Unlock()
					}
				}})
			slept := hcloud.FakeClock(c)
			hcloud.SeedJitter(c, 23)
			bucket.now, bucket.start = c.Now, c.Now()

			var err error
			for range tt.requests {
				ctx, cancel := context.Background(), context.CancelFunc(func() {})
				if tt.timeout > 0 {
					ctx, cancel = context.WithDeadline(ctx, c.Now().Add(tt.timeout))
				}
				_, err = c.GetImage(ctx, 1)
				cancel()
				if err != nil {
					break
				}
			}
			wall := c.Now().Sub(bucket.start)
			t.Logf("%d attempts, %d refused, %v on the clock, contention %.1f, %d warnings, waits %v",
				len(bucket.attempts), len(bucket.refused), wall, hcloud.Contention(c), len(warnings), summarise(*slept))
			if tt.wantErr == nil && err != nil {
				t.Fatalf("a request failed although the budget refilled in time: %v", err)
			}
			if tt.wantErr != nil && !tt.wantErr(err) {
				t.Fatalf("err = %v, want the API's 429 once the deadline leaves no time to wait", err)
			}
			if n := len(bucket.attempts); n > tt.maxAttempts {
				t.Errorf("%d attempts, want at most %d", n, tt.maxAttempts)
			}
			if n := len(bucket.refused); n > tt.maxRefused {
				t.Errorf("%d refused, want at most %d", n, tt.maxRefused)
			}
			if wall < tt.minWall || wall > tt.maxWall {
				t.Errorf("took %v on the clock, want between %v and %v", wall, tt.minWall, tt.maxWall)
			}
			for i := 1; i < len(bucket.attempts) && tt.minRetrySpace > 0; i++ {
				gap := bucket.attempts[i] - bucket.attempts[i-1]
				if slices.Contains(bucket.refused, bucket.attempts[i-1]) && gap < tt.minRetrySpace {
					t.Errorf("attempt %d resent %v after a 429, want at least %v", i+1, gap, tt.minRetrySpace)
				}
			}
			checkWarnings(t, warnings, wall, len(bucket.refused) > 0)
		})
	}
}

// checkWarnings: one warning when the wait starts, then at most one a minute, each naming the
// budget and how long the run has waited.
func checkWarnings(t *testing.T, warnings []map[string]any, wall time.Duration, waited bool) {
	t.Helper()
	if waited && len(warnings) == 0 {
		t.Error("the client waited for the budget without a warning")
	}
	if limit := 1 + int(wall/time.Minute); len(warnings) > limit {
		t.Errorf("%d warnings in %v, want at most %d", len(warnings), wall, limit)
	}
	for _, w := range warnings {
		if w["level"] != "warn" || w["budget"] != "3600 requests per hour" || w["waited"] == nil {
			t.Errorf("warning %v: want level warn, the budget and the time waited", w)
		}
	}
}

// summarise shows a run of waits compactly: the first ten and how many more.
func summarise(waits []time.Duration) string {
	var b strings.Builder
	for i, w := range waits {
		if i == 10 {
			fmt.Fprintf(&b, " … (%d in all)", len(waits))
			break
		}
		fmt.Fprintf(&b, "%v ", w.Round(time.Millisecond))
	}
	return b.String()
}

// Ctrl-C cancels the operation's context: a request waiting for the budget ends at once, with
// the context's error, and is not sent again.
func TestBudgetWait_cancelEndsTheWaitAtOnce(t *testing.T) {
	bucket := &sharedBucket{limit: 3600, capacity: 12, others: func(time.Duration) float64 { return 2 }}
	c := hcloud.New(hcloud.Options{Endpoint: "http://api.invalid/v1", Token: "secret-token", HTTPClient: &http.Client{Transport: bucket}})
	hcloud.FakeClock(c)
	bucket.now, bucket.start = c.Now, c.Now()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bucket.onRefused = cancel // the user presses Ctrl-C as the first 429 comes
	_, err := c.GetImage(ctx, 1)
	if !errors.Is(err, context.Canceled) || hcloud.IsAPIError(err, "rate_limit_exceeded") {
		t.Errorf("err = %v, want the cancellation", err)
	}
	if n := len(bucket.attempts); n != 1 {
		t.Errorf("%d attempts, want the one refused", n)
	}
	if d := c.Now().Sub(bucket.start); d != 0 {
		t.Errorf("the clock moved %v after the cancellation, want no wait", d)
	}
}

// scriptedTransport answers the requests of a test in turn from a script; past its end, every
// request gets the last entry.
type scriptedTransport struct {
	now    func() time.Time
	script []func(now time.Time) (*http.Response, error)
	calls  int
}

func (s *scriptedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	step := s.script[min(s.calls, len(s.script)-1)]
	s.calls++
	resp, err := step(s.now())
	if resp != nil {
		resp.Request = r
	}
	return resp, err
}

// A connection reset after several 429s is retried as any first one is: the transport retries
// count from the resend, not from the call's first attempt minutes before.
func TestBudgetWait_aResetAfterRefusalsIsStillRetried(t *testing.T) {
	refused := func(now time.Time) (*http.Response, error) {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		h.Set("RateLimit-Limit", "3600")
		h.Set("RateLimit-Remaining", "0")
		h.Set("RateLimit-Reset", strconv.FormatInt(now.Add(10*time.Second).Unix(), 10))
		return &http.Response{StatusCode: http.StatusTooManyRequests, Header: h,
			Body: io.NopCloser(strings.NewReader(`{"error":{"code":"rate_limit_exceeded","message":"limit of requests per hour reached"}}`))}, nil
	}
	reset := func(time.Time) (*http.Response, error) { return nil, errors.New("read: connection reset by peer") }
	ok := func(time.Time) (*http.Response, error) {
		h := http.Header{}
		h.Set("Content-Type", "application/json")
		return &http.Response{StatusCode: http.StatusOK, Header: h,
			Body: io.NopCloser(strings.NewReader(`{"image":{"id":1,"type":"system","status":"available","name":"ubuntu-24.04"}}`))}, nil
	}
	transport := &scriptedTransport{script: []func(time.Time) (*http.Response, error){
		refused, refused, refused, refused, refused, reset, ok}}
	c := hcloud.New(hcloud.Options{Endpoint: "http://api.invalid/v1", Token: "secret-token",
		RetryWaitMin: time.Millisecond, RetryWaitMax: time.Millisecond, HTTPClient: &http.Client{Transport: transport}})
	hcloud.FakeClock(c)
	transport.now = c.Now
	if _, err := c.GetImage(context.Background(), 1); err != nil {
		t.Fatalf("GetImage: %v, want the image after five 429s and one reset", err)
	}
	if transport.calls != 7 {
		t.Errorf("%d requests, want 7", transport.calls)
	}
}
