package hcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Waiting for the request budget. The budget is per project, and a project's Terraform runs,
// CI jobs and other tools all spend from it, so a 429 says to wait, not that the operation
// failed: a request the API refused with 429 was not processed, so resending it is safe, POST
// included. It is resent, on this client's share of the refill (pacing.go), for as long as the
// operation's deadline leaves time: its timeout, or defaultBudgetDeadline for a call without
// one (a refresh, a data source). Cancelling the context (Ctrl-C) ends the wait at once.

// defaultBudgetDeadline bounds the budget waits of a call whose context has no deadline,
// counted from its first attempt. Reads have no timeout of their own; twenty minutes is longer
// than any contention of one project's runs lasts in practice, and still ends a run whose
// budget someone else spends for good.
const defaultBudgetDeadline = 20 * time.Minute

// budgetWarnEvery spaces the warnings of one long wait: the first when the wait starts, then at
// most one per interval, whatever the number of requests waiting.
const budgetWarnEvery = time.Minute

// budgetWaitMsg is the warning a user sees while a run waits for the budget; pacedMsg is the
// debug line of every single wait.
const (
	budgetWaitMsg = "waiting for the project's API request budget, which other clients of the project share"
	pacedMsg      = "waiting for the request budget to refill"
)

// budgetWaits tells the user, in few lines, that the client is waiting for the budget. A wait
// starts with the first request that waits, and lasts while requests keep waiting with less than
// a warning interval between them.
type budgetWaits struct {
	mu       sync.Mutex
	waiting  int       // requests waiting now
	since    time.Time // the start of the current wait
	lastWarn time.Time
	lastEnd  time.Time
}

// begin counts a request that starts waiting; warn says to tell the user, waited is how long
// the wait has lasted so far.
func (w *budgetWaits) begin(now time.Time) (warn bool, waited time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.waiting == 0 && (w.since.IsZero() || now.Sub(w.lastEnd) >= budgetWarnEvery) {
		w.since = now
		w.lastWarn = time.Time{}
	}
	w.waiting++
	if w.lastWarn.IsZero() || now.Sub(w.lastWarn) >= budgetWarnEvery {
		w.lastWarn = now
		return true, now.Sub(w.since)
	}
	return false, now.Sub(w.since)
}

func (w *budgetWaits) end(now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.waiting--
	w.lastEnd = now
}

// takeBudget waits until the budget lets a call's first attempt go: for the first answer of the
// client when none has come yet (budget.awaitKnown), then for the call's slot when the budget is
// low. The call runs release once it is done.
func (c *Client) takeBudget(ctx context.Context, st *attempt) (release func(), err error) {
	// Once the probe has ended, nobody waits for one again (budget.probed).
	known, probe := c.budget.awaitKnown()
	if known != nil {
		select {
		case <-known:
		case <-ctx.Done():
			return nil, fmt.Errorf("%s %s: waiting for the first answer to learn the request budget: %w", st.method, st.path, ctx.Err())
		}
	}
	wait, refusals := c.budget.reserve(c.now())
	release = func() {
		c.budget.release()
		if probe {
			c.budget.probed()
		}
	}
	if err := c.waitForSlot(ctx, st, wait, refusals, false); err != nil {
		release()
		return nil, fmt.Errorf("%s %s: %w: %w", st.method, st.path, errBudgetWait, err)
	}
	return release, nil
}

// doAccepted sends the request (retryablehttp retrying what retry.go says) until the API
// accepts it, waiting out each 429 on the budget. It returns the API's last 429 when the
// deadline leaves no time to wait for the next slot.
func (c *Client) doAccepted(ctx context.Context, req *retryablehttp.Request, st *attempt) (*http.Response, error) {
	for {
		st.runFirst, st.runBase = c.now(), st.attempts
		resp, err := c.http.Do(req)
		if err != nil || resp.StatusCode != http.StatusTooManyRequests || c.http.RetryMax == 0 {
			return resp, err
		}
		// A 429 was not processed: resend it once the budget has refilled, POST included.
		werr := c.afterRefusal(ctx, st, resp)
		if errors.Is(werr, errNoTimeLeft) {
			return resp, nil // the API's own 429 error, which the caller decodes
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		if werr != nil {
			return nil, fmt.Errorf("%s %s: %w: %w", st.method, st.path, errBudgetWait, werr)
		}
	}
}

// waitForBudget waits d for the budget, telling the user when a wait starts and then at most
// once a minute. The error is the context's when it ends first.
func (c *Client) waitForBudget(ctx context.Context, st *attempt, d time.Duration, refused bool) error {
	now := c.now()
	warn, waited := c.waits.begin(now)
	defer func() { c.waits.end(c.now()) }()
	if warn {
		c.budget.mu.Lock()
		limit, clients := c.budget.perHour(), c.budget.contention()
		c.budget.mu.Unlock()
		fields := map[string]any{"level": "warn", "waited": waited.Round(time.Second).String(),
			"method": st.method, "path": st.path, "next_try_in": d.Round(time.Millisecond).String(),
			"clients_estimated": int(math.Round(clients))}
		if limit > 0 {
			fields["budget"] = fmt.Sprintf("%d requests per hour", limit)
		}
		c.log(ctx, budgetWaitMsg, fields)
	}
	c.log(ctx, pacedMsg, map[string]any{"method": st.method, "path": st.path, "wait_ms": d.Milliseconds(),
		"refused": refused, "attempt": st.attempts})
	wctx, wake := context.WithCancel(ctx)
	defer wake()
	defer c.budget.wakeOnHealthy(wake)()
	err := c.sleep(wctx, d)
	if err != nil && ctx.Err() == nil && wctx.Err() != nil {
		return nil // woken early: the bucket is healthy again
	}
	return err
}

// errBudgetWait marks the error of a wait for the budget that ended (the context did), so that
// it is not taken for a failure of the transport.
var errBudgetWait = errors.New("waiting for the request budget to refill")

// errNoTimeLeft says the deadline comes before the budget would let the request through.
var errNoTimeLeft = errors.New("the deadline leaves no time to wait for the request budget")

// afterRefusal waits out a 429 answer before the request is sent again. It returns
// errNoTimeLeft when the operation's deadline would pass first, and the context's error when
// it ends during the wait.
func (c *Client) afterRefusal(ctx context.Context, st *attempt, resp *http.Response) error {
	now := c.now()
	st.refusals++
	wait, refusals := c.budget.retryAfterRefusal(now)
	if wait == 0 {
		// No RateLimit headers (a proxy's 429): back off as for any answer that asks for a retry.
		wait = c.backoff(c.http.RetryWaitMin, c.http.RetryWaitMax, st.refusals-1, resp)
	}
	if d, ok := retryAfter(resp.Header); ok {
		wait = max(wait, d)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = st.first.Add(defaultBudgetDeadline)
	}
	if now.Add(wait).After(deadline) {
		return errNoTimeLeft
	}
	return c.waitForSlot(ctx, st, wait, refusals, true)
}

// waitForSlot waits d for the request's slot of the budget, and again for a later one as long
// as a refusal meanwhile has made the slot stale (budget.reslot).
func (c *Client) waitForSlot(ctx context.Context, st *attempt, d time.Duration, refusals int, refused bool) error {
	for d > 0 {
		if err := c.waitForBudget(ctx, st, d, refused); err != nil {
			return err
		}
		d, refusals = c.budget.reslot(c.now(), refusals)
	}
	return nil
}
