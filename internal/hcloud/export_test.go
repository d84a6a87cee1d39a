package hcloud

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// The log messages that start and end a poll loop.
const (
	PollStartedMsg = pollStartedMsg
	PollStoppedMsg = pollStoppedMsg
	PacedMsg       = pacedMsg
	BudgetWaitMsg  = budgetWaitMsg
)

// BudgetLimit returns the hourly request limit the client learnt from the API's headers, or 0.
func BudgetLimit(c *Client) int {
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	return c.budget.perHour()
}

// PickDue exposes the poller's choice of the actions to check in one tick.
var PickDue = pickDue

// SeedJitter makes the client's jitter repeatable.
func SeedJitter(c *Client, seed uint64) {
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	c.budget.rng = rand.New(rand.NewPCG(seed, seed)) //nolint:gosec // G404: repeatable jitter for tests
}

// Contention is how many clients' worth of requests the client believes the bucket serves.
func Contention(c *Client) float64 {
	c.budget.mu.Lock()
	defer c.budget.mu.Unlock()
	return c.budget.contention()
}

// CreateImageRequest is one create_image request, without the reconciliation of CreateImage.
var CreateImageRequest = (*Client).createImageRequest

// FakeClock makes the client's domain waits (busy, lost answers, images being written) run on
// a clock that moves only when they sleep, and returns the waits they asked for. A wait that
// would pass ctx's deadline on that clock ends with context.DeadlineExceeded instead. The clock
// may be read from other goroutines (an emulator sharing it, see Now).
func FakeClock(c *Client) *[]time.Duration {
	var slept []time.Duration
	var mu sync.Mutex
	now := time.Now()
	c.now = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	c.sleep = func(ctx context.Context, d time.Duration) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if deadline, ok := ctx.Deadline(); ok && now.Add(d).After(deadline) {
			return context.DeadlineExceeded
		}
		slept = append(slept, d)
		now = now.Add(d)
		return nil
	}
	return &slept
}

// Now returns the client's clock, fake or not, so an emulator can share it.
func Now(c *Client) func() time.Time { return c.now }

// HoldCreatedReads makes the first of concurrent ReadCreatedImage calls wait until n reads have
// joined its batch, instead of half a poll interval on the clock.
func HoldCreatedReads(c *Client, n int) {
	c.sleep = func(ctx context.Context, _ time.Duration) error {
		for {
			c.created.mu.Lock()
			joined := 0
			if c.created.batch != nil {
				joined = len(c.created.batch.ids)
			}
			c.created.mu.Unlock()
			if joined >= n {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Millisecond):
			}
		}
	}
}

// logRetry, isBusy and the single steps that CreateImageAndWait strings together, for tests.
const LogRetry = logRetry

var IsBusy = isBusy

func (c *Client) CreateImage(ctx context.Context, serverID int64, opts CreateImageOpts) (*Image, *Action, error) {
	return c.createImage(ctx, serverID, opts)
}

func (c *Client) WaitForImage(ctx context.Context, id int64, action *Action, progress func(ActionProgress)) error {
	return c.waitForImage(ctx, id, action, progress)
}

func (c *Client) WaitForActions(ctx context.Context, progress func(ActionProgress), actions ...*Action) error {
	return c.waitForActions(ctx, progress, actions...)
}
