package emulator

import (
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// FaultKind names one kind of trouble the chaos mode injects.
type FaultKind string

// The kinds of fault a bad day on the network or at the API brings.
const (
	FaultRateLimited    FaultKind = "429 rate limited"
	FaultConflict       FaultKind = "409 conflict"
	FaultBadGateway     FaultKind = "502 proxy page"
	FaultUnavailable    FaultKind = "503 unavailable"
	FaultGatewayTimeout FaultKind = "504 timeout"
	FaultResetBefore    FaultKind = "reset before processing"
	FaultResetAfter     FaultKind = "reset after processing"
	FaultLostCreate     FaultKind = "lost create_image answer"
	FaultActionError    FaultKind = "action ends in error"
	FaultServerLocked   FaultKind = "server locked"
)

// AllFaultKinds lists every kind, in a stable order.
var AllFaultKinds = []FaultKind{
	FaultRateLimited, FaultConflict, FaultBadGateway, FaultUnavailable, FaultGatewayTimeout,
	FaultResetBefore, FaultResetAfter, FaultLostCreate, FaultActionError, FaultServerLocked,
}

const createImageRoute = "/v1/servers/{id}/actions/create_image"

// Chaos injects random faults into a share of the requests, reproducibly for a seed.
type Chaos struct {
	Rate  float64     // share of requests that get a fault, 0 to 1
	Seed  uint64      // the same seed and requests give the same faults
	Kinds []FaultKind // empty means all
	// LockFor is how long a server stays locked by FaultServerLocked (default 2s).
	LockFor time.Duration
}

type chaosState struct {
	Chaos
	rng    *rand.Rand
	counts map[FaultKind]int
}

// SetChaos starts (or, with a zero Rate, stops) random fault injection.
func (e *Emulator) SetChaos(c Chaos) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if c.Rate <= 0 {
		e.chaos = nil
		return
	}
	if len(c.Kinds) == 0 {
		c.Kinds = AllFaultKinds
	}
	if c.LockFor <= 0 {
		c.LockFor = 2 * time.Second
	}
	// A seeded, reproducible generator is the point here: the same seed gives the same faults.
	rng := rand.New(rand.NewPCG(c.Seed, 0x5eed)) //nolint:gosec // G404: not for secrets
	e.chaos = &chaosState{Chaos: c, rng: rng, counts: map[FaultKind]int{}}
}

// ChaosCounts returns how many faults of each kind were injected so far.
func (e *Emulator) ChaosCounts() map[FaultKind]int {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := map[FaultKind]int{}
	if e.chaos != nil {
		for k, v := range e.chaos.counts {
			out[k] = v
		}
	}
	return out
}

// chaosFault decides whether this request meets trouble. Kinds that need a particular route
// (a lost create answer, a failing action, a locked server) apply to create_image only.
// Called with the mutex held.
func (e *Emulator) chaosFault(method, template string, params map[string]int64, now time.Time) *Fault {
	c := e.chaos
	if c == nil || c.rng.Float64() >= c.Rate {
		return nil
	}
	isCreate := method == http.MethodPost && template == createImageRoute
	kinds := slices.DeleteFunc(slices.Clone(c.Kinds), func(k FaultKind) bool {
		return !isCreate && (k == FaultLostCreate || k == FaultActionError || k == FaultServerLocked)
	})
	if len(kinds) == 0 {
		return nil
	}
	kind := kinds[c.rng.IntN(len(kinds))]
	c.counts[kind]++
	switch kind {
	case FaultRateLimited:
		return &Fault{Status: http.StatusTooManyRequests, Code: "rate_limit_exceeded", Message: "limit of requests per hour reached (injected)"}
	case FaultConflict:
		return &Fault{Status: http.StatusConflict, Code: "conflict", Message: "the resource changed while the request ran (injected)"}
	case FaultBadGateway:
		return &Fault{Status: http.StatusBadGateway, RawBody: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
	case FaultUnavailable:
		return &Fault{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "service unavailable (injected)"}
	case FaultGatewayTimeout:
		return &Fault{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "no answer in time (injected)"}
	case FaultResetBefore:
		return &Fault{Drop: DropBeforeProcessing}
	case FaultResetAfter, FaultLostCreate:
		return &Fault{Drop: DropAfterProcessing}
	case FaultActionError:
		e.actionFaults = append(e.actionFaults, actionFault{command: "create_image",
			err: ActionError{Code: "action_failed", Message: "copying the disk failed (injected)"}})
	case FaultServerLocked:
		e.serverLocks[params["id"]] = now.Add(c.LockFor)
	}
	return nil
}

// retryAfterHeader is sent with injected 429s, as the API does, so clients can wait as asked.
func retryAfterHeader(h http.Header) { h.Set("Retry-After", strconv.Itoa(1)) }
