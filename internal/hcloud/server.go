package hcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// CreateImageOpts are the body of POST /servers/{id}/actions/create_image.
type CreateImageOpts struct {
	Type        ImageType         `json:"type,omitempty"`        // snapshot (the API's default) or backup
	Description *string           `json:"description,omitempty"` // nil lets the API generate one
	Labels      map[string]string `json:"labels,omitempty"`
}

// owned is what one client (one provider process) knows about the images its callers manage:
// the ids they own, so that reconciling a lost create answer never adopts an image that a
// sibling resource of the same apply already owns, and one lock per server.
type owned struct {
	mu      sync.Mutex
	claimed map[int64]bool
	servers map[int64]chan struct{} // one create request per server at a time, see createClaimed
}

// claim records that an image belongs to a caller of this client; it reports false when
// another caller had claimed it already.
func (c *Client) claim(id int64) bool {
	c.owned.mu.Lock()
	defer c.owned.mu.Unlock()
	if c.owned.claimed[id] {
		return false
	}
	if c.owned.claimed == nil {
		c.owned.claimed = map[int64]bool{}
	}
	c.owned.claimed[id] = true
	return true
}

// lockServer takes this client's lock of one server, waiting while a sibling holds it (a
// create request, or a search for a lost image, which may take retries), but not past ctx.
func (c *Client) lockServer(ctx context.Context, serverID int64) (unlock func(), err error) {
	c.owned.mu.Lock()
	if c.owned.servers == nil {
		c.owned.servers = map[int64]chan struct{}{}
	}
	held := c.owned.servers[serverID]
	if held == nil {
		held = make(chan struct{}, 1)
		c.owned.servers[serverID] = held
	}
	c.owned.mu.Unlock()
	select {
	case held <- struct{}{}:
		return func() { <-held }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for another create of server %d in this apply: %w", serverID, ctx.Err())
	}
}

// ClaimImage records that a caller manages an image it did not create (an import): a lost create
// is never reconciled to it, and the next RefreshImage of it is answered without a request.
func (c *Client) ClaimImage(img *Image) {
	c.claim(img.ID)
	c.refresh.remember(img)
}

// unavailableCreates bounds how often a create is sent while the API answers it with an error
// status (503 unavailable, a proxy's 502): an outage rarely ends within seconds, and each
// answer costs a search for the image the request might have made.
const unavailableCreates = 4

// clockSkew is how far the API's clock may lag ours when we look for an image that a lost
// create request made. `created` has whole seconds, hence at least one.
const clockSkew = 2 * time.Second

// createImage creates an image of a server. The image is "creating" until it is written (see
// waitForImage). A busy server (locked, or a conflict) is tried again until ctx ends, so many
// images of one server in one apply all succeed; what holds the server (the running action's
// command and id) is logged, and named in the error when ctx ends first. When the answer to a
// create request is lost (any 5xx, a timeout or a reset after the request was sent), the
// request may have made an image: from then on, before every new request, it looks for that
// image and adopts it, and creates again only when there is none. When ctx ends (an interrupt,
// the create timeout) after such a request, it looks once more, so that the image is not lost
// to the caller. The action is nil for an adopted image. An error that IsOutcomeUnknown
// recognises means an image may exist all the same.
func (c *Client) createImage(ctx context.Context, serverID int64, opts CreateImageOpts) (*Image, *Action, error) {
	var lostSince time.Time // when the first request with a lost answer was sent
	var img *Image
	var action *Action
	var holder busyHolder
	var busy error // the last busy answer, with what held the server
	start := c.now()
	refused := 0 // requests answered with an error status
	var refusal error
	err := c.poll(ctx, func() (bool, error) {
		if !lostSince.IsZero() {
			found, err := c.findLostImage(ctx, serverID, opts, lostSince)
			var unmarked *unmarkedBackupError
			if errors.As(err, &unmarked) {
				return true, fmt.Errorf("%w: %w", errOutcomeUnknown, err)
			}
			if err != nil {
				return true, fmt.Errorf("%w: the answer to an earlier create request was lost, "+
					"and looking for the image it may have made failed: %w", errOutcomeUnknown, err)
			}
			if found != nil {
				c.log(ctx, "the answer to create_image was lost; adopting the image it made", map[string]any{
					"level": "warn", "image_id": found.ID, "server_id": serverID})
				img = found
				return true, nil
			}
			if refused >= unavailableCreates {
				return true, c.annotated(&UnavailableCreateError{Requests: refused, Elapsed: c.now().Sub(start), Err: refusal})
			}
		}
		requested := c.now()
		var err error
		img, action, err = c.createClaimed(ctx, serverID, opts)
		switch {
		case isBusy(err):
			// After a lost answer, a busy server may be busy with our own image: the search
			// above finds it once it is listed.
			busy = c.serverBusy(ctx, serverID, &holder, err)
			return false, busy
		case IsOutcomeUnknown(err):
			if lostSince.IsZero() {
				lostSince = requested
			}
			if answer := errorAnswer(err); answer != nil {
				refused++
				refusal = answer
			}
			// Give the API a moment to list what the request made.
			c.log(ctx, "the answer to create_image was lost; looking for the image before trying again", map[string]any{
				"level": "warn", "server_id": serverID})
			return false, err
		}
		return true, err
	})
	if err != nil && ctx.Err() != nil && !lostSince.IsZero() {
		if found := c.lastLook(ctx, serverID, opts, lostSince); found != nil {
			return found, nil, nil
		}
		if busy != nil {
			// The timeout cut off a request sent while the server was busy: what held the
			// server is still the likeliest reason, and the outcome stays unknown.
			err = fmt.Errorf("%w; then the create timeout cut off the last request: %w", busy, err)
		}
	}
	if err != nil {
		return nil, nil, err
	}
	return img, action, nil
}

// lastLookFor bounds the search after ctx ended: Terraform waits for the provider after the
// first interrupt, but not forever.
const lastLookFor = 30 * time.Second

// lastLook searches once more, on a context of its own, for the image of a create request
// whose answer never came because ctx ended (an interrupt, the create timeout): the caller can
// then keep it (Terraform records it, tainted) instead of leaving it behind unrecorded.
func (c *Client) lastLook(ctx context.Context, serverID int64, opts CreateImageOpts, requested time.Time) *Image {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lastLookFor)
	defer cancel()
	for range 3 {
		found, err := c.findLostImage(ctx, serverID, opts, requested)
		if found != nil {
			c.log(ctx, "create_image was interrupted before its answer came; keeping the image it made", map[string]any{
				"level": "warn", "image_id": found.ID, "server_id": serverID})
			return found
		}
		if err != nil {
			c.log(ctx, "looking for the image of an interrupted create_image failed", map[string]any{"error": err.Error()})
		}
		if c.sleep(ctx, c.pollInterval) != nil {
			return nil
		}
	}
	return nil
}

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

// createClaimed sends one create request and claims the image it makes. Requests for one
// server are sent one at a time within this client, so that a search for a lost image never
// meets a sibling's image whose answer is still on its way (the API writes one image of a
// server at a time anyway).
func (c *Client) createClaimed(ctx context.Context, serverID int64, opts CreateImageOpts) (*Image, *Action, error) {
	unlock, err := c.lockServer(ctx, serverID)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	img, action, err := c.createImageRequest(ctx, serverID, opts)
	if err == nil {
		c.claim(img.ID)
	}
	return img, action, err
}

// createImageRequest is one POST create_image. A lost answer yields an error that
// IsOutcomeUnknown recognises: the image may exist.
func (c *Client) createImageRequest(ctx context.Context, serverID int64, opts CreateImageOpts) (*Image, *Action, error) {
	var out struct {
		Image  Image  `json:"image"`
		Action Action `json:"action"`
	}
	path := fmt.Sprintf("/servers/%d/actions/create_image", serverID)
	if err := c.do(ctx, http.MethodPost, path, nil, opts, &out); err != nil {
		return nil, nil, err
	}
	return &out.Image, &out.Action, nil
}

// findLostImage looks for an image that matches a create request sent at or after `requested`
// and that no caller of this client owns yet, and claims it. A backup asked for without labels
// and without a description cannot be told from the server's automatic daily backup (no
// labels, a description the API makes up), so such a match is never adopted: the caller hears
// that the outcome is unknown, with the candidates to check.
func (c *Client) findLostImage(ctx context.Context, serverID int64, opts CreateImageOpts, requested time.Time) (*Image, error) {
	unlock, err := c.lockServer(ctx, serverID)
	if err != nil {
		return nil, err
	}
	defer unlock()
	typ := cmp.Or(opts.Type, ImageTypeSnapshot)
	list := ImageListOpts{Types: []ImageType{typ}, Sort: []string{"created:asc", "id:asc"}}
	list.LabelSelector = selectorFor(opts.Labels)
	images, err := c.AllImages(ctx, list)
	if err != nil {
		return nil, err
	}
	since := requested.Truncate(time.Second).Add(-clockSkew)
	for i := range images {
		img := &images[i]
		if img.CreatedFrom == nil || img.CreatedFrom.ID != serverID || img.Created.Before(since) ||
			(opts.Description != nil && img.Description != *opts.Description) ||
			!maps.Equal(nonNil(img.Labels), nonNil(opts.Labels)) {
			continue
		}
		if typ == ImageTypeBackup && len(opts.Labels) == 0 && opts.Description == nil {
			return nil, &unmarkedBackupError{serverID: serverID, candidate: img.ID}
		}
		if c.claim(img.ID) {
			return img, nil
		}
	}
	return nil, nil
}

// unmarkedBackupError is a lost create of a backup without labels or description that found a
// backup it cannot tell from an automatic one.
type unmarkedBackupError struct{ serverID, candidate int64 }

func (e *unmarkedBackupError) Error() string {
	return fmt.Sprintf("backup %d of server %d was made after the request, but a backup without labels or "+
		"description cannot be told from the server's automatic daily backup, so it is not adopted; "+
		"if it is the one this create made, import it", e.candidate, e.serverID)
}

// selectorFor builds a selector that narrows a list to images with the given labels. Pairs
// with an empty value are left out (how the API parses "k==" is not documented); the caller
// compares the labels exactly anyway.
func selectorFor(set map[string]string) string {
	terms := make([]string, 0, len(set))
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if set[k] != "" {
			terms = append(terms, k+"=="+set[k])
		}
	}
	return strings.Join(terms, ",")
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// Server statuses the client acts on. The API knows more (starting, stopping, initializing,
// migrating, rebuilding, deleting, unknown); a server in one of those is waited for.
const (
	ServerStatusRunning = "running"
	ServerStatusOff     = "off"
)

// Server is what the client reads of a server: its name, for messages, and its power status.
type Server struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

// getServer reads one server.
func (c *Client) getServer(ctx context.Context, id int64) (*Server, error) {
	var out struct {
		Server Server `json:"server"`
	}
	if err := c.do(ctx, http.MethodGet, fmt.Sprintf("/servers/%d", id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.Server, nil
}

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
		srv, err = c.getServer(ctx, serverID)
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

// CreateImageAndWait creates an image of a server (see createImage) and waits until it is
// written (see waitForImage). created is called as soon as the image exists, before the wait,
// so that the caller can record it; progress sees the create action's states.
//
// With shutdown.Enabled, a running server is shut down gracefully and waited for until it is
// off, the image is created and written, and the server is powered on again. Once the shutdown
// was requested, the server is powered on again whatever happens next (a failed or cancelled
// wait, an API error), within powerOnGrace and regardless of ctx; when that fails the error is
// a *PowerOnError. A server that is off is imaged as it is and stays off. When the operating
// system does not shut down within shutdown.Timeout, the power is cut if shutdown.PowerOff is
// set; otherwise the error is a *ShutdownTimeoutError and the server is left running.
func (c *Client) CreateImageAndWait(ctx context.Context, serverID int64, opts CreateImageOpts, shutdown ShutdownOpts,
	created func(*Image), progress func(ActionProgress),
) (*Image, error) {
	if !shutdown.Enabled {
		return c.createAndWait(ctx, serverID, opts, created, progress)
	}
	srv, err := c.settledServer(ctx, serverID)
	if err != nil {
		return nil, fmt.Errorf("reading the power status of server %d: %w", serverID, err)
	}
	if srv.Status == ServerStatusOff {
		c.log(ctx, "the server is off already; imaging it as it is", map[string]any{"server_id": serverID})
		return c.createAndWait(ctx, serverID, opts, created, progress)
	}

	c.log(ctx, "shutting the server down for a consistent image", map[string]any{"server_id": serverID})
	if err := c.serverPower(ctx, serverID, powerShutdown); err != nil {
		err = fmt.Errorf("requesting the shutdown of server %d: %w", serverID, err)
		return nil, c.powerOnAgain(ctx, srv, err)
	}
	if err := c.waitUntilOff(ctx, srv, shutdown); err != nil {
		return nil, c.powerOnAgain(ctx, srv, err)
	}
	img, err := c.createAndWait(ctx, serverID, opts, created, progress)
	return img, c.powerOnAgain(ctx, srv, err)
}

func (c *Client) createAndWait(ctx context.Context, serverID int64, opts CreateImageOpts, created func(*Image), progress func(ActionProgress)) (*Image, error) {
	img, action, err := c.createImage(ctx, serverID, opts)
	if err != nil {
		return nil, err
	}
	if created != nil {
		created(img)
	}
	return img, c.waitForImage(ctx, img.ID, action, progress)
}

// errShutdownTimedOut ends the wait for a graceful shutdown.
var errShutdownTimedOut = errors.New("the graceful shutdown timed out")

// waitUntilOff reads the server until it is off, for at most shutdown.Timeout; then it cuts
// the power if allowed to, or gives up with a *ShutdownTimeoutError.
func (c *Client) waitUntilOff(ctx context.Context, srv *Server, shutdown ShutdownOpts) error {
	deadline := c.now().Add(shutdown.Timeout)
	status := srv.Status
	err := c.poll(ctx, func() (bool, error) {
		s, err := c.getServer(ctx, srv.ID)
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
	if err := c.serverPower(ctx, srv.ID, powerOff); err != nil {
		return fmt.Errorf("powering off server %d after its graceful shutdown timed out: %w", srv.ID, err)
	}
	return nil
}

// powerOnAgain powers on a server that was running before CreateImageAndWait asked it to shut
// down, and returns cause (nil when all went well) or, when the server is not running
// afterwards, a *PowerOnError. The power-on is sent after every failure too: an operating
// system that was slow to react may still be on its way down. Should the API refuse to power
// on a server that runs (its operating system ignored the request), the server's status
// decides.
func (c *Client) powerOnAgain(ctx context.Context, srv *Server, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), powerOnGrace)
	defer cancel()
	c.log(ctx, "powering the server on again", map[string]any{"server_id": srv.ID})
	err := c.serverPower(ctx, srv.ID, powerOn)
	if err == nil {
		return cause
	}
	if s, gerr := c.getServer(ctx, srv.ID); gerr == nil && s.Status == ServerStatusRunning {
		return cause
	}
	return &PowerOnError{ServerID: srv.ID, ServerName: srv.Name, Err: err, Cause: cause}
}

// errorAnswer returns the error status (5xx) that a request whose outcome is unknown got back,
// or nil when no answer came at all.
func errorAnswer(err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.StatusCode >= 500 {
		return apiErr
	}
	var statusErr *StatusError
	if errors.As(err, &statusErr) && statusErr.StatusCode >= 500 {
		return statusErr
	}
	return nil
}
