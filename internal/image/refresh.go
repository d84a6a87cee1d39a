package image

import (
	"context"
	"maps"
	"sync"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// Refreshing a configuration calls Read once per managed image, each a GET of its own: 100
// images cost 100 requests of the project's 3600 an hour. When a refresh turns out to be large,
// listing the project's snapshots and backups at 50 a page answers the remaining Reads for far
// fewer requests. The list is taken once per provider process (one Terraform command), and
// each listed image answers one Read only, so nothing stale is served twice.
const (
	// listAfterReads is how many Reads must come before listing pays: a small configuration
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
	listed  map[int64]*hcloud.Image
}

// readImage returns an image for Read: from the refresh list or an import of this process when
// it holds the image, otherwise with a GET.
func (d *Deps) readImage(ctx context.Context, id int64) (*hcloud.Image, error) {
	r := &d.refresh
	r.mu.Lock()
	r.reads++
	switch {
	case r.listing == nil && r.reads >= listAfterReads:
		r.listing = make(chan struct{})
		r.mu.Unlock()
		listed := d.listUserImages(ctx)
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
	return d.Client.GetImage(ctx, id)
}

// remember keeps an image just fetched for the Read that Terraform makes right after (after
// an import, for example), so that it is not fetched twice.
func (d *Deps) remember(img *hcloud.Image) {
	r := &d.refresh
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.listed == nil {
		r.listed = map[int64]*hcloud.Image{}
	}
	r.listed[img.ID] = img
}

// listUserImages lists the project's snapshots and backups, or returns what it has when the
// project has more than listMaxPages pages of them, or on any error: the Reads then GET.
func (d *Deps) listUserImages(ctx context.Context) map[int64]*hcloud.Image {
	out := map[int64]*hcloud.Image{}
	opts := hcloud.ImageListOpts{
		Types:   []string{hcloud.ImageTypeSnapshot, hcloud.ImageTypeBackup},
		Sort:    []string{"id:asc"},
		PerPage: hcloud.MaxPerPage,
	}
	for page := 1; page > 0 && page <= listMaxPages; {
		opts.Page = page
		images, p, err := d.Client.ListImages(ctx, opts)
		if err != nil {
			return out
		}
		for i := range images {
			out[images[i].ID] = &images[i]
		}
		if p.LastPage > listMaxPages {
			return out
		}
		page = p.NextPage
	}
	return out
}
