package emulator

import (
	"cmp"
	"math/rand/v2"
	"net/http"
	"slices"
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
	FaultActionError    FaultKind = "action ends in error"
	FaultServerLocked   FaultKind = "server busy with its own action"

	// The request takes effect, then the client hears of a failure or of nothing.
	FaultResetAfter          FaultKind = "reset after processing"
	FaultLostCreate          FaultKind = "lost create_image answer"
	FaultServerErrorAfter    FaultKind = "500 after processing"
	FaultUnavailableAfter    FaultKind = "503 after processing"
	FaultBadGatewayAfter     FaultKind = "502 proxy page after processing"
	FaultGatewayTimeoutAfter FaultKind = "504 proxy page after processing"
	FaultTimeoutAfter        FaultKind = "timeout after processing"
)

// AllFaultKinds lists every kind, in a stable order.
var AllFaultKinds = []FaultKind{
	FaultRateLimited, FaultConflict, FaultBadGateway, FaultUnavailable, FaultGatewayTimeout,
	FaultResetBefore, FaultActionError, FaultServerLocked,
	FaultResetAfter, FaultLostCreate, FaultServerErrorAfter, FaultUnavailableAfter,
	FaultBadGatewayAfter, FaultGatewayTimeoutAfter, FaultTimeoutAfter,
}

// ProcessedThenFailed reports whether a kind lets the request take effect before it fails.
// They apply to requests that change something (POST, PUT, DELETE) only: a read that
// "took effect" is no different from one that did not.
func (k FaultKind) ProcessedThenFailed() bool {
	switch k {
	case FaultResetAfter, FaultLostCreate, FaultServerErrorAfter, FaultUnavailableAfter,
		FaultBadGatewayAfter, FaultGatewayTimeoutAfter, FaultTimeoutAfter:
		return true
	}
	return false
}

// createOnly reports whether a kind needs the create_image route: a lost create answer, a
// failing create action, a server busy when the create comes.
func (k FaultKind) createOnly() bool {
	return k == FaultLostCreate || k == FaultActionError || k == FaultServerLocked
}

const createImageRoute = "/v1/servers/{id}/actions/create_image"

// Chaos injects random faults into a share of the requests, reproducibly for a seed.
type Chaos struct {
	Rate float64 // share of requests that get a fault, 0 to 1
	// WriteRate is the share for requests that change something (POST, PUT, DELETE), where
	// a fault costs the most; 0 means Rate.
	WriteRate float64
	// AfterShare is the share of the faults on writes drawn from the processed-then-failed
	// kinds alone (the rest are drawn from every kind that applies); 0 draws them all alike.
	AfterShare float64
	Seed       uint64      // the same seed and requests give the same faults
	Kinds      []FaultKind // empty means all
	// LockFor is how long FaultServerLocked holds the server with an action of its own: its
	// daily backup when it has backups enabled, otherwise a rebuild (default 2s).
	LockFor time.Duration
	// HangFor is how long FaultTimeoutAfter holds the answer before it closes the
	// connection (default 1s).
	HangFor time.Duration
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
	c.WriteRate = cmp.Or(c.WriteRate, c.Rate)
	c.LockFor = cmp.Or(c.LockFor, 2*time.Second)
	c.HangFor = cmp.Or(c.HangFor, time.Second)
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

// chaosFault decides whether this request meets trouble. Called with the mutex held.
func (e *Emulator) chaosFault(method, template string, params map[string]int64, now time.Time) *Fault {
	c := e.chaos
	if c == nil {
		return nil
	}
	write := method != http.MethodGet && method != http.MethodHead
	rate := c.Rate
	if write {
		rate = c.WriteRate
	}
	if c.rng.Float64() >= rate {
		return nil
	}
	isCreate := method == http.MethodPost && template == createImageRoute
	kinds := slices.DeleteFunc(slices.Clone(c.Kinds), func(k FaultKind) bool {
		return !isCreate && k.createOnly() || !write && k.ProcessedThenFailed()
	})
	if len(kinds) == 0 {
		return nil
	}
	if write && c.AfterShare > 0 && c.rng.Float64() < c.AfterShare {
		if after := slices.DeleteFunc(slices.Clone(kinds), func(k FaultKind) bool { return !k.ProcessedThenFailed() }); len(after) > 0 {
			kinds = after
		}
	}
	kind := kinds[c.rng.IntN(len(kinds))]
	c.counts[kind]++
	const badGatewayPage = "<html><body><h1>502 Bad Gateway</h1></body></html>"
	const gatewayTimeoutPage = "<html><body><h1>504 Gateway Time-out</h1><p>The server didn't respond in time.</p></body></html>"
	switch kind {
	case FaultRateLimited:
		return &Fault{Status: http.StatusTooManyRequests, Code: "rate_limit_exceeded", Message: "limit of requests per hour reached (injected)"}
	case FaultConflict:
		return &Fault{Status: http.StatusConflict, Code: "conflict", Message: "the resource changed while the request ran (injected)"}
	case FaultBadGateway:
		return &Fault{Status: http.StatusBadGateway, RawBody: badGatewayPage}
	case FaultUnavailable:
		return &Fault{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "service unavailable (injected)"}
	case FaultGatewayTimeout:
		return &Fault{Status: http.StatusGatewayTimeout, Code: "timeout", Message: "no answer in time (injected)"}
	case FaultResetBefore:
		return &Fault{Drop: DropBeforeProcessing}
	case FaultResetAfter, FaultLostCreate:
		return &Fault{Drop: DropAfterProcessing}
	case FaultServerErrorAfter:
		return &Fault{When: FaultAfter, Status: http.StatusInternalServerError, Code: "server_error", Message: "internal server error (injected after processing)"}
	case FaultUnavailableAfter:
		return &Fault{When: FaultAfter, Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "service temporarily unavailable (injected after processing)"}
	case FaultBadGatewayAfter:
		return &Fault{When: FaultAfter, Status: http.StatusBadGateway, RawBody: badGatewayPage}
	case FaultGatewayTimeoutAfter:
		return &Fault{When: FaultAfter, Status: http.StatusGatewayTimeout, RawBody: gatewayTimeoutPage}
	case FaultTimeoutAfter:
		return &Fault{When: FaultAfter, Drop: DropAfterProcessing, Delay: c.HangFor}
	case FaultActionError:
		e.actionFaults = append(e.actionFaults, actionFault{command: commandCreateImage,
			err: ActionError{Code: "action_failed", Message: "copying the disk failed (injected)"}})
	case FaultServerLocked:
		e.holdServer(params["id"], now, c.LockFor)
	}
	return nil
}

// holdServer starts a long action of the server's own: its daily backup when it has backups
// enabled (an automatic backup appears, and may push an old one out of its slots), otherwise
// a rebuild.
func (e *Emulator) holdServer(id int64, now time.Time, d time.Duration) {
	s, ok := e.servers[id]
	if !ok {
		return
	}
	if s.BackupsEnabled {
		e.startBackup(s, now, d)
		return
	}
	e.startAction("rebuild_server", now, d, []ActionResource{{ID: id, Type: "server"}})
}
