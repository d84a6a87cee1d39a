package emulator

import (
	"net/http"
	"strings"
	"time"
)

// DropMode says whether and when a faulted request's connection is closed
// without a response.
type DropMode int

const (
	// DropNone answers normally (or with the injected status).
	DropNone DropMode = iota
	// DropBeforeProcessing closes the connection before the request has any
	// effect, like a proxy that fails to reach the API.
	DropBeforeProcessing
	// DropAfterProcessing applies the request, then closes the connection
	// without answering: the "lost response" a client must recover from
	// without knowing whether its change happened.
	DropAfterProcessing
)

// FaultWhen says whether a faulted request takes effect before it fails.
type FaultWhen int

const (
	// FaultBefore answers the fault without the request having any effect, like
	// an API that refuses the request or a proxy that never reaches it.
	FaultBefore FaultWhen = iota
	// FaultAfter lets the request take effect, then answers the fault (or drops
	// the connection): the API did the work, but the client cannot know it, as
	// when a create answered "service temporarily unavailable" left its
	// snapshot behind.
	FaultAfter
)

// Fault is one injected failure for requests matching Method and Path.
type Fault struct {
	// Method matches the request method; empty matches any.
	Method string
	// Path is a route template such as /v1/images/{id} (or a concrete path);
	// empty matches any.
	Path string
	// Count is how many requests the fault applies to; 0 means 1.
	Count int
	// Status is the HTTP status to answer with (default 500 unless Drop is
	// set). Code and Message fill the error body; Code defaults from Status.
	Status  int
	Code    string
	Message string
	// RawBody replaces the JSON error body, e.g. a proxy's HTML 502 page.
	RawBody string
	// Drop closes the connection instead of answering. With When set to
	// FaultAfter any Drop means DropAfterProcessing.
	Drop DropMode
	// When is FaultBefore (the zero value) or FaultAfter.
	When FaultWhen
	// RetryAfter, when positive, is sent as a Retry-After header (seconds). The
	// API is not documented to send one, so by default a 429 carries only the
	// RateLimit-* headers.
	RetryAfter int
	// Delay holds the answer (or the hang-up) this long, without holding up
	// other requests: with a client timeout shorter than Delay, the client
	// times out, and with FaultAfter it times out on a request that took effect.
	Delay time.Duration
}

// processedFirst reports whether the request runs before the fault is answered.
func (f *Fault) processedFirst() bool {
	return f.When == FaultAfter || f.Drop == DropAfterProcessing
}

type actionFault struct {
	command string
	err     ActionError
}

// FailNext queues f. Queued faults are matched in order; each consumes one
// of its Count per request it applies to. Faults apply to requests that pass
// the rate limit and authentication.
func (e *Emulator) FailNext(f Fault) {
	if f.Count <= 0 {
		f.Count = 1
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = append(e.faults, &f)
}

// FailNextAction makes the next action started with command end in status
// "error" when its time comes. Empty code and message default to
// action_failed and a generic message.
func (e *Emulator) FailNextAction(command, code, message string) {
	if code == "" {
		code = "action_failed"
	}
	if message == "" {
		message = "action failed (injected by the emulator)"
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.actionFaults = append(e.actionFaults, actionFault{command: command, err: ActionError{Code: code, Message: message}})
}

// ClearFaults removes every pending fault, request and action alike.
func (e *Emulator) ClearFaults() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.faults = nil
	e.actionFaults = nil
}

func (e *Emulator) takeFault(method, template, path string) *Fault {
	for i, f := range e.faults {
		if f.Method != "" && !strings.EqualFold(f.Method, method) {
			continue
		}
		if f.Path != "" && f.Path != template && f.Path != path {
			continue
		}
		f.Count--
		if f.Count == 0 {
			e.faults = append(e.faults[:i], e.faults[i+1:]...)
		}
		c := *f
		return &c
	}
	return nil
}

func (e *Emulator) takeActionFault(command string) *ActionError {
	for i, f := range e.actionFaults {
		if f.command == command {
			e.actionFaults = append(e.actionFaults[:i], e.actionFaults[i+1:]...)
			err := f.err
			return &err
		}
	}
	return nil
}

// defaultFaultCodes are the API codes that go with the statuses a test is
// likely to inject; hcloud-go retries on conflict, rate_limit_exceeded,
// bad_gateway and timeout.
var defaultFaultCodes = map[int]string{
	http.StatusConflict:            "conflict",
	http.StatusLocked:              "locked",
	http.StatusTooManyRequests:     "rate_limit_exceeded",
	http.StatusInternalServerError: "server_error",
	http.StatusBadGateway:          "bad_gateway",
	http.StatusServiceUnavailable:  "unavailable",
	http.StatusGatewayTimeout:      "timeout",
}

func (f *Fault) reply() reply {
	status := f.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if f.RawBody != "" {
		h := http.Header{}
		ct := "text/plain; charset=utf-8"
		if strings.HasPrefix(strings.TrimSpace(f.RawBody), "<") {
			ct = "text/html; charset=utf-8"
		}
		h.Set("Content-Type", ct)
		return reply{status: status, header: h, body: []byte(f.RawBody), fromProxy: true}
	}
	code := f.Code
	if code == "" {
		code = defaultFaultCodes[status]
	}
	if code == "" {
		code = "unknown_error"
	}
	msg := f.Message
	if msg == "" {
		msg = "injected fault: " + code
	}
	return errorReply(&apiError{status: status, code: code, message: msg})
}

// PendingFaults returns copies of the queued request faults, in match order,
// each with the Count it has left.
func (e *Emulator) PendingFaults() []Fault {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]Fault, 0, len(e.faults))
	for _, f := range e.faults {
		out = append(out, *f)
	}
	return out
}
