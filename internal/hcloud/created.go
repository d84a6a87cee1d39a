package hcloud

import (
	"context"
	"sync"
)

// Each create reads its image once the action has ended, for what only the written image
// has (its size). Twenty images written at once end within a moment of each other, and twenty
// GETs then cost as much as their twenty creates. The reads that come within half a poll
// interval of the first are answered from one list of the newest snapshots and backups (50 a
// page, a page per 50 reads); an image the list lacks, or shows still being written, is
// fetched on its own.
type createdReads struct {
	mu    sync.Mutex
	batch *createdBatch // the batch gathering reads now; nil when none
}

type createdBatch struct {
	ids    []int64
	done   chan struct{}    // closed once listed is set
	listed map[int64]*Image // nil: every read GETs
}

// ReadCreatedImage reads an image whose create action has just ended.
func (c *Client) ReadCreatedImage(ctx context.Context, id int64) (*Image, error) {
	r := &c.created
	r.mu.Lock()
	b, leader := r.batch, r.batch == nil
	if leader {
		b = &createdBatch{done: make(chan struct{})}
		r.batch = b
	}
	b.ids = append(b.ids, id)
	r.mu.Unlock()

	if leader {
		err := c.sleep(ctx, c.pollInterval/2)
		r.mu.Lock()
		r.batch = nil
		ids := len(b.ids)
		r.mu.Unlock()
		if err == nil && ids > 1 {
			b.listed = c.listNewestImages(ctx, ids)
		}
		close(b.done)
	} else {
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if img, ok := b.listed[id]; ok && img.Status != ImageStatusCreating {
		return img, nil
	}
	return c.GetImage(ctx, id)
}

// listNewestImages lists the project's newest snapshots and backups, a page of 50 for every 50
// images wanted; on an error it returns what it has.
func (c *Client) listNewestImages(ctx context.Context, wanted int) map[int64]*Image {
	out := map[int64]*Image{}
	pages := 0
	for images, err := range c.ImagePages(ctx, ImageListOpts{Types: UserImageTypes, Sort: []string{"created:desc", "id:desc"}}) {
		if err != nil {
			break
		}
		for i := range images {
			out[images[i].ID] = &images[i]
		}
		if pages++; pages*maxPerPage >= wanted {
			break
		}
	}
	return out
}
