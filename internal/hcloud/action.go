package hcloud

import (
	"context"
	"fmt"
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

// GetAction returns one action.
func (c *Client) GetAction(ctx context.Context, id int64) (*Action, error) {
	var out struct {
		Action Action `json:"action"`
	}
	if err := c.do(ctx, "GET", "/actions/"+strconv.FormatInt(id, 10), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.Action, nil
}

// actionsPerRequest keeps every GET /actions?id=… answer within one page of the API's default
// page size, so no pagination is needed for it.
const actionsPerRequest = 25

// ListActions returns the actions with the given ids, asking for up to 25 in one request.
func (c *Client) ListActions(ctx context.Context, ids []int64) ([]Action, error) {
	var all []Action
	for chunk := range slices.Chunk(ids, actionsPerRequest) {
		q := url.Values{}
		for _, id := range chunk {
			q.Add("id", strconv.FormatInt(id, 10))
		}
		var out struct {
			Actions []Action `json:"actions"`
		}
		if err := c.do(ctx, "GET", "/actions", q, nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Actions...)
	}
	return all, nil
}

// WaitForActions polls the given actions until each has ended. It returns the first action's
// failure as an *ActionError, stops when ctx ends, and calls progress (when not nil) with every
// state it sees. All running actions are checked in one request per tick; the tick is the
// client's poll interval or a tenth of the time waited so far, whichever is longer, so a short
// action is noticed promptly and a long one costs few requests.
func (c *Client) WaitForActions(ctx context.Context, progress func(Action), actions ...*Action) error {
	report := func(a Action) {
		if progress != nil {
			progress(a)
		}
	}
	var running []int64
	for _, a := range actions {
		report(*a)
		if err := a.err(); err != nil {
			return err
		}
		if a.Status == ActionStatusRunning {
			running = append(running, a.ID)
		}
	}

	start := c.now()
	for len(running) > 0 {
		if err := c.sleep(ctx, c.PollWait(c.now().Sub(start))); err != nil {
			return fmt.Errorf("waiting for action(s) %v: %w", running, err)
		}
		got, err := c.ListActions(ctx, running)
		if err != nil {
			return fmt.Errorf("checking action(s) %v: %w", running, err)
		}
		byID := make(map[int64]Action, len(got))
		for _, a := range got {
			byID[a.ID] = a
		}
		var still []int64
		for _, id := range running {
			a, ok := byID[id]
			if !ok {
				return fmt.Errorf("action %d is no longer known to the API", id)
			}
			report(a)
			if err := a.err(); err != nil {
				return err
			}
			if a.Status == ActionStatusRunning {
				still = append(still, id)
			}
		}
		running = still
	}
	return nil
}

// PollWait is the wait before the next check of something that has been running for elapsed:
// the poll interval, or a tenth of the time waited so far when that is longer. A change is
// then noticed within max(interval, 10% of its duration), and a long wait costs few requests.
func (c *Client) PollWait(elapsed time.Duration) time.Duration {
	return max(c.pollInterval, elapsed/10)
}
