package hcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// CreateImageOpts are the body of POST /servers/{id}/actions/create_image.
type CreateImageOpts struct {
	Type        ImageType         `json:"type,omitempty"`        // snapshot (the API's default) or backup
	Description *string           `json:"description,omitempty"` // nil lets the API generate one
	Labels      map[string]string `json:"labels,omitempty"`
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
