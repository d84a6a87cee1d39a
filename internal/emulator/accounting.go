package emulator

import "maps"

// accounting counts requests by "METHOD /v1/route/{template}" (the raw path
// for requests that match no route), including rejected and faulted ones, so
// tests can assert how many calls a client made.
type accounting struct {
	counts map[string]int
	total  int
}

func (a *accounting) count(key string) {
	a.counts[key]++
	a.total++
}

// Requests returns a copy of the per-route request counts.
func (e *Emulator) Requests() map[string]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return maps.Clone(e.acct.counts)
}

// RequestCount returns how many requests hit method and template, e.g.
// RequestCount("GET", "/v1/images/{id}").
func (e *Emulator) RequestCount(method, template string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.acct.counts[method+" "+template]
}

// TotalRequests returns how many /v1 requests were made in all.
func (e *Emulator) TotalRequests() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.acct.total
}

// ResetRequests sets every count back to zero.
func (e *Emulator) ResetRequests() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.acct = accounting{counts: map[string]int{}}
}
