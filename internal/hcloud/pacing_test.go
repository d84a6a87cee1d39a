package hcloud_test

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// newLimitedClient returns a client that never retries, so a 429 reaches the caller, and a
// counter of the 429 answers the emulator sent. An unpaced client never sees the API's
// RateLimit headers, so it cannot know the budget: it shows what pacing saves.
func newLimitedClient(t *testing.T, opts emulator.Options, unpaced ...bool) (*hcloud.Client, *atomic.Int64) {
	t.Helper()
	var tooMany atomic.Int64
	opts.OnResponse = func(_ *http.Request, status int, _ http.Header, _ []byte) {
		if status == http.StatusTooManyRequests {
			tooMany.Add(1)
		}
	}
	_, endpoint := emulatortest.Start(t, opts)
	var httpClient *http.Client
	if len(unpaced) > 0 && unpaced[0] {
		httpClient = &http.Client{Transport: withoutRateLimitHeaders{http.DefaultTransport}}
	}
	c := newLoggedClient(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token, Retries: -1, HTTPClient: httpClient})
	return c, &tooMany
}

type withoutRateLimitHeaders struct{ next http.RoundTripper }

func (w withoutRateLimitHeaders) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := w.next.RoundTrip(r)
	if resp != nil {
		for _, h := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
			resp.Header.Del(h)
		}
	}
	return resp, err
}

// paced is how many requests of c waited for the request budget to refill.
func paced(c *hcloud.Client) int { return logOf(c).count(hcloud.PacedMsg) }

// A bucket of 30 that refills 10 requests a second: pacing costs about 3 s for 60 requests.
var tightBudget = emulator.Options{RateLimit: 36000, RateBurst: 30}

func TestPacing_sequentialRequestsMeetNo429(t *testing.T) {
	for _, pacing := range []bool{true, false} {
		t.Run(map[bool]string{true: "paced", false: "unpaced"}[pacing], func(t *testing.T) {
			c, tooMany := newLimitedClient(t, tightBudget, !pacing)
			failed := 0
			for range 60 {
				if getSeeded(c) != nil {
					failed++
				}
			}
			t.Logf("60 sequential GETs: %d answered 429, %d paced", tooMany.Load(), paced(c))
			switch {
			case pacing && (tooMany.Load() != 0 || failed != 0):
				t.Errorf("%d answers were 429 (%d failed), want none: the client should pace instead", tooMany.Load(), failed)
			case pacing && paced(c) == 0:
				t.Error("no request was paced, yet 60 requests outrun a bucket of 30")
			case !pacing && tooMany.Load() == 0:
				t.Error("no 429 without pacing: the test's budget is not tight enough to show anything")
			}
		})
	}
}

func TestPacing_concurrentRequestsShareTheEstimate(t *testing.T) {
	c, tooMany := newLimitedClient(t, tightBudget)
	if err := getSeeded(c); err != nil { // learns the budget
		t.Fatal(err)
	}
	// Every one of these starts from the same answer; only the local count keeps them from all
	// spending the 29 requests it reported.
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			if err := getSeeded(c); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := tooMany.Load(); n != 0 {
		t.Errorf("%d answers were 429, want none", n)
	}
}

func TestPacing_healthyBudgetAddsNoWait(t *testing.T) {
	c, tooMany := newLimitedClient(t, emulator.Options{RateLimit: 3600}) // the API's default
	for range 50 {
		if err := getSeeded(c); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if err := getSeeded(c); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := paced(c); n != 0 || tooMany.Load() != 0 {
		t.Errorf("%d requests paced and %d answered 429 with 3530 of 3600 left; want none", n, tooMany.Load())
	}
}

func TestPacing_waitHonoursTheContext(t *testing.T) {
	c, _ := newLimitedClient(t, emulator.Options{RateLimit: 3600, RateBurst: 1})
	if err := getSeeded(c); err != nil { // spends the whole bucket
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := c.GetImage(ctx, emulator.SeedImageUbuntu2404)
	if !errors.Is(err, context.DeadlineExceeded) || paced(c) != 1 {
		t.Errorf("err = %v after %d paced requests, want the deadline while waiting for the budget", err, paced(c))
	}
}
