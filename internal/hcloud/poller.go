package hcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"sync"
	"time"
)

// poller checks the running actions of every waitForActions call on one Client together, in one
// GET /actions?id=… request per tick. Terraform applies resources concurrently and a project's
// budget is 3600 requests per hour shared by a whole team, so 20 snapshots must not cost 20
// polling requests per tick.
//
// A loop goroutine runs only while someone waits: the first waiter starts it, the last one to
// leave stops it. Waiters never block the loop: it queues answers on the waiter, which reads
// them (and calls its progress callback) on its own goroutine.
type poller struct {
	c *Client

	mu      sync.Mutex
	waiters map[*waiter]struct{}
	stop    context.CancelFunc // ends the running loop; nil when none runs
	wake    chan struct{}      // tells the running loop that the schedule changed
}

// waiter is one waitForActions call.
type waiter struct {
	since time.Time // the start of the wait, which sets how often its actions are checked
	// pending maps each action still running to when it must be checked next. Guarded by
	// poller.mu; the loop drops an action once it has ended.
	pending map[int64]time.Time
	// predictors time the checks of each action from its progress. Guarded by poller.mu.
	predictors map[int64]*endPredictor

	mu      sync.Mutex
	updates []actionUpdate
	ready   chan struct{} // capacity 1: updates has something
}

// actionUpdate is one state seen of an action, or the failure of the request that asked for it.
type actionUpdate struct {
	progress ActionProgress
	err      error
}

func (w *waiter) push(ups []actionUpdate) {
	w.mu.Lock()
	w.updates = append(w.updates, ups...)
	w.mu.Unlock()
	select {
	case w.ready <- struct{}{}:
	default: // already signalled; the waiter takes everything queued at once
	}
}

func (w *waiter) take() []actionUpdate {
	w.mu.Lock()
	defer w.mu.Unlock()
	ups := w.updates
	w.updates = nil
	return ups
}

// join registers the actions of one wait and starts the loop when none runs. The loop's
// requests inherit ctx's values (the provider's logger) but not its cancellation: they serve
// every waiter, not only the one that happened to come first.
func (p *poller) join(ctx context.Context, ids []int64) *waiter {
	now := p.c.now()
	w := &waiter{since: now, pending: make(map[int64]time.Time, len(ids)),
		predictors: make(map[int64]*endPredictor, len(ids)), ready: make(chan struct{}, 1)}
	// The first check comes one interval after the start: an action that was just returned
	// "running" will not have ended sooner.
	for _, id := range ids {
		w.predictors[id] = newEndPredictor(p.c.pollInterval)
		w.pending[id] = now.Add(w.predictors[id].next(0))
	}

	p.mu.Lock()
	defer p.mu.Unlock()
	if p.waiters == nil {
		p.waiters = map[*waiter]struct{}{}
	}
	p.waiters[w] = struct{}{}
	if p.stop == nil {
		loopCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		// Each loop has its own wake channel, so that a stopping loop cannot swallow a wake-up
		// meant for its successor.
		p.stop, p.wake = cancel, make(chan struct{}, 1)
		p.c.log(ctx, pollStartedMsg, map[string]any{"action_ids": ids})
		go p.loop(loopCtx, p.wake)
	} else {
		signal(p.wake)
	}
	return w
}

// leave unregisters a wait that has ended, for whatever reason. The last one stops the loop,
// cancelling a request in flight that nobody needs any more.
func (p *poller) leave(w *waiter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.waiters, w)
	if len(p.waiters) == 0 && p.stop != nil {
		p.stop()
		p.stop, p.wake = nil, nil
	}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// The log lines that start and end a poll loop; each loop logs both, once.
const (
	pollStartedMsg = "polling running actions"
	pollStoppedMsg = "stopped polling actions: nobody waits"
)

func (p *poller) loop(ctx context.Context, wake chan struct{}) {
	defer p.c.log(ctx, pollStoppedMsg, nil)
	for {
		p.mu.Lock()
		// leave cancels under p.mu, so a loop that sees ctx live here is still the current one.
		if ctx.Err() != nil {
			p.mu.Unlock()
			return
		}
		next, ok := p.nextDue()
		p.mu.Unlock()

		if !ok {
			// Every waiter has its answers and is about to leave: sleep until it does (ctx
			// ends) or a new wait joins (wake).
			select {
			case <-ctx.Done():
				return
			case <-wake:
			}
			continue
		}
		if d := next.Sub(p.c.now()); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-wake: // a new wait may be due sooner
				t.Stop()
				continue
			case <-t.C:
			}
		}
		p.tick(ctx)
	}
}

// nextDue is the earliest time an action must be checked. It runs under p.mu.
func (p *poller) nextDue() (time.Time, bool) {
	var next time.Time
	ok := false
	for w := range p.waiters {
		for _, due := range w.pending {
			if !ok || due.Before(next) {
				next, ok = due, true
			}
		}
	}
	return next, ok
}

// tick sends the requests of one tick and hands each answer to the waiters of its actions.
func (p *poller) tick(ctx context.Context) {
	p.mu.Lock()
	batches := p.batches(p.c.now())
	p.mu.Unlock()
	for _, ids := range batches {
		if ctx.Err() != nil {
			return
		}
		sent := p.c.now()
		actions, err := p.c.listActionsChunk(ctx, ids)
		p.deliver(ctx, ids, actions, err, sent)
	}
}

// batches picks the actions to check now, in requests of at most actionsPerRequest ids. Every
// action that is due is in; the requests' spare room goes to the actions due soonest, which
// are then checked early at no extra cost. It runs under p.mu.
func (p *poller) batches(now time.Time) [][]int64 {
	due := map[int64]time.Time{} // an action several waiters wait for is asked for once
	for w := range p.waiters {
		for id, t := range w.pending {
			if old, seen := due[id]; !seen || t.Before(old) {
				due[id] = t
			}
		}
	}
	return pickDue(due, now)
}

func pickDue(due map[int64]time.Time, now time.Time) [][]int64 {
	ids := slices.SortedFunc(maps.Keys(due), func(a, b int64) int {
		return cmp.Or(due[a].Compare(due[b]), cmp.Compare(a, b))
	})
	n := 0
	for n < len(ids) && !due[ids[n]].After(now) {
		n++
	}
	if n == 0 {
		return nil // woken early, for example by a waiter that left
	}
	room := (n + actionsPerRequest - 1) / actionsPerRequest * actionsPerRequest
	return slices.Collect(slices.Chunk(ids[:min(room, len(ids))], actionsPerRequest))
}

// deliver hands the answer to one request to every waiter with an action in it, and schedules
// each action still running. A request that failed for a passing reason (the network, a 5xx,
// a rate limit), even after the client's own retries, is simply tried again on a later tick:
// the actions still run, and failing every wait on a network blip would taint every image
// being written. Only an answer that will not change (401, a bad request) ends the waits; each
// waiter's own context bounds how long it waits.
func (p *poller) deliver(ctx context.Context, ids []int64, actions []Action, err error, sent time.Time) {
	byID := make(map[int64]Action, len(actions))
	for _, a := range actions {
		byID[a.ID] = a
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	// A stopped loop's request failed because it was cancelled; its waiters are gone, and a new
	// wait for the same action must not see that error.
	if ctx.Err() != nil {
		return
	}
	answered := p.c.now()
	retry := err != nil && transient(err)
	for w := range p.waiters {
		var ups []actionUpdate
		var mine []int64
		for _, id := range ids {
			if _, ok := w.pending[id]; !ok {
				continue
			}
			mine = append(mine, id)
			a, found := byID[id]
			switch {
			case retry:
				w.pending[id] = sent.Add(p.c.pollWait(sent.Sub(w.since)))
			case err != nil:
				delete(w.pending, id)
			case !found:
				ups = append(ups, actionUpdate{err: fmt.Errorf("action %d is no longer known to the API", id)})
				delete(w.pending, id)
			case a.Status == ActionStatusRunning:
				pred := w.predictors[id]
				pred.observe(sent.Sub(w.since), answered.Sub(w.since), a.Progress)
				w.pending[id] = w.since.Add(answered.Sub(w.since) + pred.next(answered.Sub(w.since)))
				ups = append(ups, actionUpdate{progress: w.progressOf(a, answered, pred)})
			default:
				ups = append(ups, actionUpdate{progress: w.progressOf(a, answered, nil)})
				delete(w.pending, id)
			}
		}
		if err != nil && !retry && len(mine) > 0 {
			ups = []actionUpdate{{err: fmt.Errorf("checking action(s) %v: %w", mine, err)}}
		}
		if len(ups) > 0 {
			w.push(ups)
		}
	}
}

// progressOf is what a waiter's progress callback sees of one answer.
func (w *waiter) progressOf(a Action, answered time.Time, pred *endPredictor) ActionProgress {
	ap := ActionProgress{Action: a, Elapsed: answered.Sub(w.since)}
	if pred != nil {
		if end := pred.predicted(); end > 0 {
			ap.PredictedEnd = w.since.Add(end)
		}
	}
	return ap
}

// transient reports whether a failed request may well succeed if simply sent again later.
func transient(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode >= 500 || apiErr.StatusCode == http.StatusTooManyRequests || apiErr.Code == CodeConflict
	}
	var statusErr *StatusError
	if errors.As(err, &statusErr) {
		return statusErr.StatusCode >= 500
	}
	return true // a transport failure: the network, not the request
}
