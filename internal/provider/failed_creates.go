package provider

import (
	"context"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// failedCreateSpacing is how far the provider keeps the answer of a create that failed after
// its object came to exist (an image whose wait was cut short by Ctrl-C or a timeout) from its
// other answers to ApplyResourceChange, before and after it.
//
// Terraform 1.16.0 records such an object in three steps: it stores the provider's answer as
// tainted, stores it again without any status, then taints it again. If the state is written
// for another instance between the second and the third step, Terraform panics with "Failed to
// serialize resource instance in state: Instance ... has status ObjectStatus(0)" and exits
// without writing the state, so the images of every create still under way are lost from it.
// The steps take a few milliseconds; after an interrupt every create of the apply ends at
// once, and without the spacing two applies of six creates in four crashed so. Terraform 1.8
// and OpenTofu 1.12 taint before they store (maybeTainted); there the spacing only costs a few
// tenths of a second after an interrupt. A create that succeeds waits only while such a window
// is open, which happens only after a failure.
const failedCreateSpacing = 100 * time.Millisecond

// spacedFailedCreates is the provider server with the answers of failed creates that carry an
// object sent alone, each in a window of failedCreateSpacing on either side that no other
// answer of ApplyResourceChange enters. The window cannot hold off the state writes of other
// providers' resources; those finish at once far less often than ours after an interrupt.
type spacedFailedCreates struct {
	frameworkServer
	gate *answerGate
}

func (s spacedFailedCreates) ApplyResourceChange(ctx context.Context, req *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	resp, err := s.frameworkServer.ApplyResourceChange(ctx, req)
	if err == nil && resp != nil && isNull(req.PriorState) && !isNull(resp.NewState) && hasError(resp.Diagnostics) {
		s.gate.isolate()
	} else {
		s.gate.pass()
	}
	return resp, err
}

// answerGate holds answers back from the windows of isolated ones. It waits whatever the
// answer's context says: after an interrupt that context is canceled, and that is when the
// windows matter.
type answerGate struct {
	spacing time.Duration
	now     func() time.Time
	sleep   func(time.Duration)

	mu    sync.Mutex
	last  time.Time // when the latest answer went, or is to go
	quiet time.Time // the end of the latest isolated answer's window: nothing goes before it
}

func newAnswerGate(spacing time.Duration) *answerGate {
	return &answerGate{spacing: spacing, now: time.Now, sleep: time.Sleep}
}

// pass returns when an ordinary answer may go: at once, unless an isolated answer's window is
// open.
func (g *answerGate) pass() {
	g.mu.Lock()
	now := g.now()
	at := latest(now, g.quiet)
	g.last = latest(g.last, at)
	g.mu.Unlock()
	g.wait(at.Sub(now))
}

// isolate returns when an answer may go alone: a spacing after the answer before it, and the
// window stays closed to others for a spacing after it.
func (g *answerGate) isolate() {
	g.mu.Lock()
	now := g.now()
	at := now
	if !g.last.IsZero() {
		at = latest(now, g.quiet, g.last.Add(g.spacing))
	}
	g.last, g.quiet = at, at.Add(g.spacing)
	g.mu.Unlock()
	g.wait(at.Sub(now))
}

func (g *answerGate) wait(d time.Duration) {
	if d > 0 {
		g.sleep(d)
	}
}

func latest(t time.Time, others ...time.Time) time.Time {
	for _, o := range others {
		if o.After(t) {
			t = o
		}
	}
	return t
}

// isNull says whether a value of the protocol is null (or absent). Terraform sends values as
// MessagePack, in which null is the single byte 0xc0.
func isNull(v *tfprotov6.DynamicValue) bool {
	switch {
	case v == nil:
		return true
	case len(v.MsgPack) > 0:
		return len(v.MsgPack) == 1 && v.MsgPack[0] == 0xc0
	default:
		return len(v.JSON) == 0 || string(v.JSON) == "null"
	}
}

func hasError(diags []*tfprotov6.Diagnostic) bool {
	for _, d := range diags {
		if d != nil && d.Severity == tfprotov6.DiagnosticSeverityError {
			return true
		}
	}
	return false
}
