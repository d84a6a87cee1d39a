package hcloud

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
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
	servers map[int64]*sync.Mutex // one create request per server at a time, see createClaimed
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

func (c *Client) serverLock(serverID int64) *sync.Mutex {
	c.owned.mu.Lock()
	defer c.owned.mu.Unlock()
	if c.owned.servers == nil {
		c.owned.servers = map[int64]*sync.Mutex{}
	}
	if c.owned.servers[serverID] == nil {
		c.owned.servers[serverID] = &sync.Mutex{}
	}
	return c.owned.servers[serverID]
}

// ClaimImage records that a caller manages an image it did not create (an import): a lost create
// is never reconciled to it, and the next RefreshImage of it is answered without a request.
func (c *Client) ClaimImage(img *Image) {
	c.claim(img.ID)
	c.refresh.remember(img)
}

// clockSkew is how far the API's clock may lag ours when we look for an image that a lost
// create request made. `created` has whole seconds, hence at least one.
const clockSkew = 2 * time.Second

// CreateImage creates an image of a server. The image is "creating" until it is written (see
// WaitForImage). A busy server (locked, or a conflict) is tried again until ctx ends, so many
// images of one server in one apply all succeed. When the answer to a create request is lost,
// the request may have made an image: from then on, before every new request, it looks for that
// image and adopts it, and creates again only when there is none. The action is nil for an
// adopted image. An error that IsOutcomeUnknown recognises means an image may exist all the same.
func (c *Client) CreateImage(ctx context.Context, serverID int64, opts CreateImageOpts) (*Image, *Action, error) {
	var lostSince time.Time // when the first request with a lost answer was sent
	var img *Image
	var action *Action
	err := c.poll(ctx, func() (bool, error) {
		if !lostSince.IsZero() {
			found, err := c.findLostImage(ctx, serverID, opts, lostSince)
			if err != nil {
				return true, fmt.Errorf("%w: the answer to an earlier create request was lost, "+
					"and looking for the image it may have made failed: %w", ErrOutcomeUnknown, err)
			}
			if found != nil {
				c.log(ctx, "the answer to create_image was lost; adopting the image it made", map[string]any{"image_id": found.ID})
				img = found
				return true, nil
			}
		}
		requested := c.now()
		var err error
		img, action, err = c.createClaimed(ctx, serverID, opts)
		switch {
		case IsBusy(err):
			// After a lost answer, a busy server may be busy with our own image: the search
			// above finds it once it is listed.
			c.log(ctx, "server is busy, trying again", map[string]any{"server_id": serverID})
			return false, err
		case IsOutcomeUnknown(err):
			if lostSince.IsZero() {
				lostSince = requested
			}
			// Give the API a moment to list what the request made.
			c.log(ctx, "the answer to create_image was lost; looking for the image before trying again", map[string]any{"server_id": serverID})
			return false, err
		}
		return true, err
	})
	if err != nil {
		return nil, nil, err
	}
	return img, action, nil
}

// createClaimed sends one create request and claims the image it makes. Requests for one
// server are sent one at a time within this client, so that a search for a lost image never
// meets a sibling's image whose answer is still on its way (the API writes one image of a
// server at a time anyway).
func (c *Client) createClaimed(ctx context.Context, serverID int64, opts CreateImageOpts) (*Image, *Action, error) {
	mu := c.serverLock(serverID)
	mu.Lock()
	defer mu.Unlock()
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
// and that no caller of this client owns yet, and claims it.
func (c *Client) findLostImage(ctx context.Context, serverID int64, opts CreateImageOpts, requested time.Time) (*Image, error) {
	mu := c.serverLock(serverID)
	mu.Lock()
	defer mu.Unlock()
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
		if c.claim(img.ID) {
			return img, nil
		}
	}
	return nil, nil
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
