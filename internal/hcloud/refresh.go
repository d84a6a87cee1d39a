package hcloud

import (
	"context"
	"maps"
	"sync"
)

// Refreshing a configuration reads each managed image once, each a GET of its own: 100 images
// cost 100 requests of the project's 3600 an hour. When a refresh turns out to be large,
// listing the project's snapshots and backups at 50 a page answers the remaining reads for far
// fewer requests. The list is taken once per client (one provider process, one Terraform
// command), and each listed image answers one read only, so nothing stale is served twice.
const (
	// listAfterReads is how many reads must come before listing pays: a small configuration
	// keeps its one GET per image.
	listAfterReads = 8
	// listMaxPages bounds what a refresh may spend on the list (200 images); in a larger
	// project the refresh goes on with GETs, having spent one page at most.
	listMaxPages = 4
)

type refresher struct {
	mu      sync.Mutex
	reads   int
	listing chan struct{} // closed when the list is done; nil before it starts
	listed  map[int64]*Image
}

// RefreshImage returns an image for a refresh: from the refresh list or a ClaimImage of this
// client when it holds the image, otherwise with a GET.
func (c *Client) RefreshImage(ctx context.Context, id int64) (*Image, error) {
	r := &c.refresh
	r.mu.Lock()
	r.reads++
	switch {
	case r.listing == nil && r.reads >= listAfterReads:
		r.listing = make(chan struct{})
		r.mu.Unlock()
		listed := c.listUserImages(ctx)
		r.mu.Lock()
		if r.listed == nil {
			r.listed = listed
		} else {
			maps.Copy(r.listed, listed)
		}
		close(r.listing)
	case r.listing != nil:
		ch := r.listing
		r.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		r.mu.Lock()
	}
	img, ok := r.listed[id]
	delete(r.listed, id)
	r.mu.Unlock()
	if ok {
		return img, nil
	}
	return c.GetImage(ctx, id)
}

// remember keeps an image just fetched for the read that comes right after (after an import,
// for example), so that it is not fetched twice.
func (r *refresher) remember(img *Image) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.listed == nil {
		r.listed = map[int64]*Image{}
	}
	r.listed[img.ID] = img
}

// listUserImages lists the project's snapshots and backups, or returns what it has when the
// project has more than listMaxPages pages of them, or on any error: the reads then GET.
func (c *Client) listUserImages(ctx context.Context) map[int64]*Image {
	return c.listUserImagePages(ctx, []string{"id:asc"}, listMaxPages, true)
}

// listUserImagePages lists the project's snapshots and backups in the given order, at most
// maxPages pages of 50. With whole, a project that has more pages is not listed past the first
// page. On an error it returns what it has.
func (c *Client) listUserImagePages(ctx context.Context, sort []string, maxPages int, whole bool) map[int64]*Image {
	out := map[int64]*Image{}
	opts := ImageListOpts{Types: []ImageType{ImageTypeSnapshot, ImageTypeBackup}, Sort: sort}
	for page := 1; page > 0 && page <= maxPages; {
		images, p, err := c.listImages(ctx, opts, page)
		if err != nil {
			return out
		}
		for i := range images {
			out[images[i].ID] = &images[i]
		}
		if whole && p.LastPage > maxPages {
			return out
		}
		page = p.NextPage
	}
	return out
}
