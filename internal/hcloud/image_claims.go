package hcloud

import (
	"context"
	"fmt"
	"sync"
)

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
