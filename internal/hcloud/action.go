package hcloud

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// Action statuses as the API spells them.
const (
	ActionStatusRunning = "running"
	ActionStatusSuccess = "success"
	ActionStatusError   = "error"
)

// Action is the API's action object: an asynchronous change and how far it got.
type Action struct {
	ID        int64            `json:"id"`
	Command   string           `json:"command"`
	Status    string           `json:"status"`
	Progress  int              `json:"progress"`
	Started   time.Time        `json:"started"`
	Finished  *time.Time       `json:"finished"`
	Resources []ActionResource `json:"resources"`
	Error     *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ActionResource is one object an action works on.
type ActionResource struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// err returns the action's failure as an *ActionError, or nil while it has not failed.
func (a *Action) err() error {
	if a.Status != ActionStatusError {
		return nil
	}
	e := &ActionError{ActionID: a.ID, Command: a.Command, Code: "action_failed", Message: "the action failed"}
	if a.Error != nil {
		e.Code, e.Message = a.Error.Code, a.Error.Message
	}
	return e
}

// actionsPerRequest keeps every GET /actions?id=… answer within one page of the API's default
// page size, so no pagination is needed for it.
const actionsPerRequest = 25

// listActionsChunk is one GET /actions?id=… request for at most actionsPerRequest ids.
func (c *Client) listActionsChunk(ctx context.Context, ids []int64) ([]Action, error) {
	q := url.Values{}
	for _, id := range ids {
		q.Add("id", strconv.FormatInt(id, 10))
	}
	var out struct {
		Actions []Action `json:"actions"`
	}
	if err := c.do(ctx, http.MethodGet, "/actions", q, nil, &out); err != nil {
		return nil, err
	}
	return out.Actions, nil
}

// ActionProgress is one state of an action seen while waiting for it.
type ActionProgress struct {
	Action
	Elapsed time.Duration // since the wait began
	// PredictedEnd is when the action is expected to end, judged from its progress so far;
	// zero while its progress gives no estimate (it has not moved, or moves unevenly).
	PredictedEnd time.Time
}

// waitForActions waits until each of the given actions has ended. It returns the first
// action's failure as an *ActionError, stops when ctx ends, and calls progress (when not nil)
// with every state it sees, on the caller's goroutine.
//
// The checks are shared: the client's poller asks for the running actions of all concurrent
// calls in one request per tick, so concurrent waits cost about as much as one. Each action is
// checked when its progress says it may be about to end (see endPredictor), and with a
// doubling backoff while its progress says nothing.
func (c *Client) waitForActions(ctx context.Context, progress func(ActionProgress), actions ...*Action) error {
	report := func(a ActionProgress) {
		if progress != nil {
			progress(a)
		}
	}
	running := map[int64]bool{}
	for _, a := range actions {
		report(ActionProgress{Action: *a})
		if err := a.err(); err != nil {
			return err
		}
		if a.Status == ActionStatusRunning {
			running[a.ID] = true
		}
	}
	if len(running) == 0 {
		return nil
	}

	w := c.poller.join(ctx, slices.Sorted(maps.Keys(running)))
	defer c.poller.leave(w)
	for len(running) > 0 {
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for action(s) %v: %w", slices.Sorted(maps.Keys(running)), ctx.Err())
		case <-w.ready:
		}
		for _, u := range w.take() {
			if u.err != nil {
				return u.err
			}
			report(u.progress)
			if err := u.progress.err(); err != nil {
				return err
			}
			if u.progress.Status != ActionStatusRunning {
				delete(running, u.progress.ID)
			}
		}
	}
	return nil
}

// pollWait is the wait before the next check of something that has been running for elapsed:
// the poll interval, or a tenth of the time waited so far when that is longer. A change is
// then noticed within max(interval, 10% of its duration), and a long wait costs few requests.
func (c *Client) pollWait(elapsed time.Duration) time.Duration {
	return max(c.pollInterval, elapsed/10)
}

// poll is the client's one loop for domain waits (a busy server or image, an image being
// written): it calls op until op says it is done, waiting pollWait between calls on the
// client's clock. When ctx ends first, it returns op's last error together with ctx's.
func (c *Client) poll(ctx context.Context, op func() (done bool, err error)) error {
	start := c.now()
	for {
		done, err := op()
		if done {
			return err
		}
		if serr := c.sleep(ctx, c.pollWait(c.now().Sub(start))); serr != nil {
			if err == nil {
				return serr
			}
			return fmt.Errorf("%w (gave up waiting: %w)", err, serr)
		}
	}
}

// retryBusy calls op until it succeeds or fails in a way that trying again would not mend:
// while again(err) holds, it waits as the poll schedule says (a busy image or server frees up
// when its action ends) until ctx ends.
func (c *Client) retryBusy(ctx context.Context, op func() error, again func(error) bool) error {
	return c.poll(ctx, func() (bool, error) {
		err := op()
		if err != nil && again(err) {
			c.log(ctx, "the API is busy with the image or its server; trying again", map[string]any{"level": "info", "error": err.Error()})
			return false, err
		}
		return true, err
	})
}
