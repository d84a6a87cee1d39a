package hcloud

import (
	"context"
	"math"
	"sync"
)

// A refresh reads every managed image once, and Terraform says neither how many Reads will
// come nor in what order: they arrive one per resource, several at a time. Each can be a GET
// of its own image (one request per image) or be answered by the list of the project's
// snapshots and backups (one request per 50 images, whichever of them are managed). Which is
// cheaper depends on N, the images managed, against L, the pages of the project's list, and N
// is only known once the refresh is over. The rule is the ski-rental one, which never pays more
// than twice what knowing N in advance would have cost:
//
//   - the first seven Reads GET their image: a small configuration pays one request per image;
//   - the eighth fetches the first page of the list (sorted by id), which tells L;
//   - a Read whose image a fetched page holds is answered from it, at no cost;
//   - any other Read GETs its image while the GETs so far are fewer than the pages not yet
//     fetched; once they are as many, paying for those pages costs no more than the GETs
//     already paid, and every later Read helps fetch them (a page each, the next one not
//     taken) until a page covers its image.
//
// So a refresh costs N requests while N ≤ 7, and otherwise at most
// max(7, L−1) GETs + L pages ≤ 2·min(N, L) + 6, plus one GET for each managed image the list
// does not show (deleted outside Terraform, or moved between pages by a change made while it was
// read): the list only ever answers for an image it holds, and an image it lacks is asked for by
// its id, so that a deletion is seen by the API itself, never guessed from a list.
//
// Nothing stale is served: the list belongs to one client, that is one provider process and
// one Terraform command; each listed image answers one Read only; and an image this client has
// changed (updated, protected, deleted) is always read with a GET.
const (
	// refreshGetsFirst is how many Reads GET before the list is looked at.
	refreshGetsFirst = 7
)

type refresher struct {
	mu      sync.Mutex
	reads   int
	gets    int              // GETs sent for Reads
	claimed map[int64]*Image // images just fetched by an import, for the Read right after
	written map[int64]bool   // images this client changed: never answered from a list
	list    *refreshList     // nil until the eighth Read
}

// refreshList is the project's snapshots and backups, sorted by id, fetched a page at a time.
type refreshList struct {
	pages   int              // L, from the first page's pagination; 0 until it is known
	taken   int              // pages asked for so far (fetched or being fetched)
	fetched []int64          // per page (index page−1): its highest id once fetched, 0 before
	covered int              // pages 1..covered are all fetched
	buying  bool             // the remaining pages are being fetched
	failed  bool             // a page failed: Reads not covered GET
	images  map[int64]*Image // listed and not yet read
	changed chan struct{}    // closed (and replaced) whenever any of the above changes
}

// RefreshImage returns an image for a refresh: from the import that just fetched it, from the
// refresh list, or with a GET, by the rule above.
func (c *Client) RefreshImage(ctx context.Context, id int64) (*Image, error) {
	r := &c.refresh
	r.mu.Lock()
	r.reads++
	if img, ok := r.claimed[id]; ok {
		delete(r.claimed, id)
		r.mu.Unlock()
		return img, nil
	}
	if r.written[id] || (r.list == nil && r.reads <= refreshGetsFirst) {
		return r.get(ctx, c, id)
	}
	if r.list == nil {
		r.list = &refreshList{images: map[int64]*Image{}, changed: make(chan struct{})}
	}
	l := r.list
	for {
		if img, ok := l.images[id]; ok {
			delete(l.images, id)
			r.mu.Unlock()
			return img, nil
		}
		page, wait := l.next(id, r.gets)
		switch {
		case page > 0:
			r.mu.Unlock()
			images, p, err := c.listImages(ctx, refreshListOpts, page)
			r.mu.Lock()
			l.add(page, images, p, err)
		case wait:
			ch := l.changed
			r.mu.Unlock()
			select {
			case <-ch:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			r.mu.Lock()
		default:
			return r.get(ctx, c, id)
		}
	}
}

// refreshListOpts is the list a refresh reads: every snapshot and backup, by ascending id, so
// that the pages fetched so far tell which ids they cover.
var refreshListOpts = ImageListOpts{Types: UserImageTypes, Sort: []string{"id:asc"}}

// get sends a Read's GET; r.mu is held on entry and released.
func (r *refresher) get(ctx context.Context, c *Client, id int64) (*Image, error) {
	r.gets++
	r.mu.Unlock()
	return c.GetImage(ctx, id)
}

// next decides what a Read of id does, when no fetched page holds the image: fetch a page (its
// number), wait for pages being fetched, or neither (GET). gets is how many GETs were sent.
func (l *refreshList) next(id int64, gets int) (page int, wait bool) {
	switch {
	case l.failed:
		return 0, false
	case l.pages == 0: // the first page tells how many there are
		if l.taken == 0 {
			return l.take(), false
		}
		return 0, true
	case l.covers(id):
		// Every page up to the image's place in the order was read without it: it was deleted,
		// or moved by a change made meanwhile. Only the API can say which.
		return 0, false
	case !l.buying && gets < l.pages-l.taken:
		return 0, false // rent: a GET costs less than the pages left, so far
	}
	l.buying = true
	if l.taken < l.pages {
		return l.take(), false
	}
	return 0, true
}

func (l *refreshList) take() int {
	l.taken++
	return l.taken
}

// covers tells whether the pages fetched so far, in order, reach id: past it, or all of them.
func (l *refreshList) covers(id int64) bool {
	return l.pages > 0 && (l.covered == l.pages || (l.covered > 0 && id <= l.fetched[l.covered-1]))
}

// add records a fetched page and wakes the Reads waiting for one.
func (l *refreshList) add(page int, images []Image, p pagination, err error) {
	defer func() {
		close(l.changed)
		l.changed = make(chan struct{})
	}()
	if err != nil || (page == 1 && p.LastPage < 1) {
		l.failed = true
		return
	}
	if page == 1 {
		l.pages = p.LastPage
		l.fetched = make([]int64, l.pages)
	}
	for i := range images {
		l.images[images[i].ID] = &images[i]
	}
	// A page's highest id marks how far it covers; an empty page (the project shrank while the
	// list was read) is past the end, so it covers every id.
	highest := int64(math.MaxInt64)
	if n := len(images); n > 0 {
		highest = images[n-1].ID
	}
	l.fetched[page-1] = highest
	for l.covered < l.pages && l.fetched[l.covered] > 0 {
		l.covered++
	}
}

// remember keeps an image just fetched for the Read that comes right after (after an import,
// for example), so that it is not fetched twice.
func (r *refresher) remember(img *Image) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.claimed == nil {
		r.claimed = map[int64]*Image{}
	}
	r.claimed[img.ID] = img
}

// wrote records that this client changed an image: what a list or an import read of it
// before is no longer current, so its next Read GETs it.
func (r *refresher) wrote(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.written == nil {
		r.written = map[int64]bool{}
	}
	r.written[id] = true
	delete(r.claimed, id)
}
