package hcloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Power actions, by the last segment of their path.
const (
	powerShutdown = "shutdown" // ACPI request to the operating system
	powerOff      = "poweroff" // cuts the power
	powerOn       = "poweron"
)

// serverPower sends one power action and waits for it. Sending one twice does no harm (a server
// that is off stays off, one that runs keeps running), so a lost answer is simply sent again,
// like a request that found the server busy.
func (c *Client) serverPower(ctx context.Context, serverID int64, power string) error {
	var out struct {
		Action Action `json:"action"`
	}
	path := fmt.Sprintf("/servers/%d/actions/%s", serverID, power)
	err := c.retryBusy(ctx, func() error {
		return c.do(ctx, http.MethodPost, path, nil, nil, &out)
	}, func(err error) bool { return isBusy(err) || IsOutcomeUnknown(err) })
	if err != nil {
		return err
	}
	return c.waitForActions(ctx, nil, &out.Action)
}

// settledServer reads a server until it is running or off: a server that is starting or
// stopping for someone else is waited for, so that it is neither shut down while it starts nor
// powered on after someone else stopped it.
func (c *Client) settledServer(ctx context.Context, serverID int64) (*Server, error) {
	var srv *Server
	err := c.poll(ctx, func() (bool, error) {
		var err error
		srv, err = c.GetServer(ctx, serverID)
		return err != nil || srv.Status == ServerStatusRunning || srv.Status == ServerStatusOff, err
	})
	return srv, err
}

// ShutdownOpts ask CreateImageAndWait to copy the disk of a server that is off.
type ShutdownOpts struct {
	// Enabled shuts a running server down for the copy and powers it on afterwards.
	Enabled bool
	// Timeout is how long the operating system may take to power off after the graceful
	// (ACPI) shutdown request; it counts against ctx's deadline like any other wait.
	Timeout time.Duration
	// PowerOff cuts the power when the operating system has not shut down within Timeout.
	// Without it the image is not created and the server keeps running.
	PowerOff bool
	// Steps, when not nil, sees each step of the power sequence as it begins or ends, for a
	// caller that shows progress. It is called on the caller's goroutine and must not block.
	Steps func(PowerStep)
}

// PowerStepKind names a step of the power sequence around a consistent image.
type PowerStepKind string

// The steps, in the order they can come.
const (
	PowerStepAlreadyOff   PowerStepKind = "already_off"   // the server was off: imaged as it is, left off
	PowerStepShutdown     PowerStepKind = "shutdown"      // the graceful shutdown is requested
	PowerStepOff          PowerStepKind = "off"           // the server is off; Elapsed since the request
	PowerStepPowerCut     PowerStepKind = "power_cut"     // the shutdown timed out: cutting the power
	PowerStepPowerOn      PowerStepKind = "power_on"      // powering the server on again
	PowerStepRunningAgain PowerStepKind = "running_again" // the server runs again; Elapsed since the shutdown
)

// PowerStep is one step of the power sequence: which, of which server, and for the steps that
// end a wait, how long it took.
type PowerStep struct {
	Kind       PowerStepKind
	ServerID   int64
	ServerName string
	Elapsed    time.Duration
}

// step reports one step to shutdown.Steps, when set.
func (s ShutdownOpts) step(kind PowerStepKind, srv *Server, elapsed time.Duration) {
	if s.Steps != nil {
		s.Steps(PowerStep{Kind: kind, ServerID: srv.ID, ServerName: srv.Name, Elapsed: elapsed})
	}
}

// powerOnGrace bounds powering a server on again after CreateImageAndWait shut it down. It
// does not depend on the caller's context: a server must not stay off because the create
// timed out or was interrupted. While an image is being written the API keeps its server
// locked, so this wait may include the rest of the copy.
const powerOnGrace = 10 * time.Minute

// ShutdownTimeoutError says that a server's operating system did not shut down within the
// time allowed: no image was created, and the server was not powered off.
type ShutdownTimeoutError struct {
	ServerID   int64
	ServerName string
	Timeout    time.Duration
	Status     string // the server's status when the wait ended
}

func (e *ShutdownTimeoutError) Error() string {
	return fmt.Sprintf("server %d (%s) was still %s %s after the graceful shutdown request; no image was created",
		e.ServerID, e.ServerName, e.Status, e.Timeout)
}

// PowerOnError says that a server CreateImageAndWait shut down could not be powered on again:
// the server is off. Cause is what went wrong before (the image failed, the wait was
// interrupted), or nil when the image was written.
type PowerOnError struct {
	ServerID   int64
	ServerName string
	Err        error
	Cause      error
}

func (e *PowerOnError) Error() string {
	msg := fmt.Sprintf("server %d (%s) is off: it was shut down for the image, and powering it on again failed: %v",
		e.ServerID, e.ServerName, e.Err)
	if e.Cause != nil {
		msg += "; before that: " + e.Cause.Error()
	}
	return msg
}

func (e *PowerOnError) Unwrap() []error {
	if e.Cause == nil {
		return []error{e.Err}
	}
	return []error{e.Err, e.Cause}
}

// errShutdownTimedOut ends the wait for a graceful shutdown.
var errShutdownTimedOut = errors.New("the graceful shutdown timed out")

// waitUntilOff reads the server until it is off, for at most shutdown.Timeout; then it cuts
// the power if allowed to, or gives up with a *ShutdownTimeoutError.
func (c *Client) waitUntilOff(ctx context.Context, srv *Server, shutdown ShutdownOpts) error {
	deadline := c.now().Add(shutdown.Timeout)
	status := srv.Status
	err := c.poll(ctx, func() (bool, error) {
		s, err := c.GetServer(ctx, srv.ID)
		switch {
		case err != nil:
			return true, err
		case s.Status == ServerStatusOff:
			return true, nil
		case !c.now().Before(deadline):
			status = s.Status
			return true, errShutdownTimedOut
		}
		return false, nil
	})
	if !errors.Is(err, errShutdownTimedOut) {
		return err
	}
	if !shutdown.PowerOff {
		return &ShutdownTimeoutError{ServerID: srv.ID, ServerName: srv.Name, Timeout: shutdown.Timeout, Status: status}
	}
	c.log(ctx, "the server did not shut down in time; cutting the power as configured", map[string]any{"server_id": srv.ID})
	shutdown.step(PowerStepPowerCut, srv, shutdown.Timeout)
	if err := c.serverPower(ctx, srv.ID, powerOff); err != nil {
		return fmt.Errorf("powering off server %d after its graceful shutdown timed out: %w", srv.ID, err)
	}
	return nil
}

// powerOnAgain powers on a server that was running before CreateImageAndWait asked it to shut
// down at since (reporting the steps to shutdown.Steps), and returns cause (nil when all went
// well) or, when the server is not running afterwards, a *PowerOnError. The power-on is sent
// after every failure too: an operating system that was slow to react may still be on its way
// down. Should the API refuse to power on a server that runs (its operating system ignored the
// request), the server's status decides.
func (c *Client) powerOnAgain(ctx context.Context, srv *Server, shutdown ShutdownOpts, since time.Time, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), powerOnGrace)
	defer cancel()
	c.log(ctx, "powering the server on again", map[string]any{"server_id": srv.ID})
	shutdown.step(PowerStepPowerOn, srv, 0)
	if err := c.serverPower(ctx, srv.ID, powerOn); err != nil {
		if s, gerr := c.GetServer(ctx, srv.ID); gerr != nil || s.Status != ServerStatusRunning {
			return &PowerOnError{ServerID: srv.ID, ServerName: srv.Name, Err: err, Cause: cause}
		}
	}
	shutdown.step(PowerStepRunningAgain, srv, c.now().Sub(since))
	return cause
}
