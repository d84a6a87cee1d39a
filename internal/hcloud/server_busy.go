package hcloud

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// busyHolder is what holds a busy server, as last looked up.
type busyHolder struct {
	action    *Action // nil when nothing was found running (or the lookup failed)
	checkedAt time.Time
}

// holderRecheck is how often the holder of a busy server is looked up again while a create
// waits: a lock that lasts minutes (a daily backup, a rebuild) is named without a request on
// every try.
const holderRecheck = time.Minute

// serverBusy logs what holds a busy server and returns the error to keep if the wait ends
// there: the API's busy error, naming the action that held the server.
func (c *Client) serverBusy(ctx context.Context, serverID int64, holder *busyHolder, err error) error {
	now := c.now()
	if holder.checkedAt.IsZero() || now.Sub(holder.checkedAt) >= holderRecheck {
		holder.checkedAt = now
		holder.action = nil
		if running, lerr := c.serverActions(ctx, serverID, ActionStatusRunning); lerr == nil && len(running) > 0 {
			holder.action = &running[0]
		}
	}
	fields := map[string]any{"level": "info", "server_id": serverID}
	if a := holder.action; a != nil {
		fields["action_id"], fields["command"], fields["progress"] = a.ID, a.Command, a.Progress
		c.log(ctx, fmt.Sprintf("server %d is busy with action %d (%s, %d%% done); waiting for it", serverID, a.ID, a.Command, a.Progress), fields)
	} else {
		c.log(ctx, fmt.Sprintf("server %d is busy; waiting", serverID), fields)
	}
	return &ServerBusyError{ServerID: serverID, Holder: holder.action, Err: err}
}

// ServerBusyError is a create that found its server busy: Holder is the action that held it
// when last looked up (nil when none was found), Err the API's answer (locked or conflict).
type ServerBusyError struct {
	ServerID int64
	Holder   *Action
	Err      error
}

func (e *ServerBusyError) Error() string {
	if e.Holder == nil {
		return fmt.Sprintf("server %d was busy: %v", e.ServerID, e.Err)
	}
	return fmt.Sprintf("server %d was busy with action %d (%s, started %s, %d%% done): %v", e.ServerID,
		e.Holder.ID, e.Holder.Command, e.Holder.Started.UTC().Format(time.RFC3339), e.Holder.Progress, e.Err)
}

func (e *ServerBusyError) Unwrap() error { return e.Err }

// serverActions lists a server's actions with the given statuses (all when none is given),
// oldest first, from the first page: enough to name what holds a busy server.
func (c *Client) serverActions(ctx context.Context, serverID int64, statuses ...string) ([]Action, error) {
	q := url.Values{"status": statuses, "sort": {"id:asc"}}
	var out struct {
		Actions []Action `json:"actions"`
	}
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("/servers/%d/actions", serverID), q, nil, &out)
	return out.Actions, err
}
