package hcloud

import (
	"context"
	"time"
)

// PollLoops returns how many poll loops the client has started.
func PollLoops(c *Client) int64 { return c.poller.started.Load() }

// WaitPollLoopsExited blocks until every poll loop the client started has exited.
func WaitPollLoopsExited(c *Client) { c.poller.loops.Wait() }

// PacedRequests returns how many requests waited for the request budget to refill.
func PacedRequests(c *Client) int64 { return c.paced.Load() }

// DisablePacing makes the client send every request at once, whatever the budget, to measure
// what pacing saves.
func DisablePacing(c *Client) {
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	c.budget.disabled = true
}

// PickDue exposes the poller's choice of the actions to check in one tick.
var PickDue = pickDue

// RateLimitWait exposes how long a 429 is waited out, from its headers.
var RateLimitWait = rateLimitWait

// CreateImageRequest is one create_image request, without the reconciliation of CreateImage.
func CreateImageRequest(c *Client, ctx context.Context, serverID int64, opts CreateImageOpts) (*Image, *Action, error) {
	return c.createImageRequest(ctx, serverID, opts)
}

// FakeClock makes the client's domain waits (busy, lost answers, images being written) run on
// a clock that moves only when they sleep, and returns the waits they asked for. A wait that
// would pass ctx's deadline on that clock ends with context.DeadlineExceeded instead.
func FakeClock(c *Client) *[]time.Duration {
	var slept []time.Duration
	now := time.Now()
	c.now = func() time.Time { return now }
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if deadline, ok := ctx.Deadline(); ok && now.Add(d).After(deadline) {
			return context.DeadlineExceeded
		}
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	}
	return &slept
}
