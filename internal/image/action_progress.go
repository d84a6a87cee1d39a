package image

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// progressSender hands the action's progress messages to Terraform in order, without ever
// holding up the work: the framework's SendProgress blocks until Terraform takes the message,
// so messages go through a queue to one goroutine.
//
// Once ctx ends (an interrupt: Terraform asked the provider to stop), nothing more is sent, only
// logged. terraform-plugin-go ends the stream at the first event it meets after the stop, and
// Terraform takes the end of the stream for the end of the action and exits, killing the
// provider: a server shut down for the image would stay off. Without an event the stream stays
// open until Invoke returns, so Terraform waits while the server is powered on again.
type progressSender struct {
	ctx  context.Context
	send func(action.InvokeProgressEvent)

	mu     sync.Mutex
	queue  []string
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

func newProgressSender(ctx context.Context, send func(action.InvokeProgressEvent)) *progressSender {
	p := &progressSender{ctx: ctx, send: send, wake: make(chan struct{}, 1), done: make(chan struct{})}
	go p.run()
	return p
}

// say queues one message; it never blocks.
func (p *progressSender) say(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.queue = append(p.queue, fmt.Sprintf(format, args...))
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *progressSender) run() {
	defer close(p.done)
	for {
		p.mu.Lock()
		msgs, closed := p.queue, p.closed
		p.queue = nil
		p.mu.Unlock()
		for _, m := range msgs {
			// A stop that lands between this check and the send lets that one event through (and
			// ends the stream early); every message after it goes to the log only.
			if p.ctx.Err() != nil || p.send == nil {
				tflog.Warn(p.ctx, "after the interrupt: "+m)
				continue
			}
			p.send(action.InvokeProgressEvent{Message: m})
		}
		if closed && len(msgs) == 0 {
			return
		}
		if !closed {
			<-p.wake
		}
	}
}

// close delivers what is queued before Invoke returns (the framework sends the final
// diagnostics as soon as it does, and a message after them would never arrive).
func (p *progressSender) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
	<-p.done
}

// powerStep says one step of the power sequence as a person wants to read it.
func (p *progressSender) powerStep(s hcloud.PowerStep) {
	srv := serverName(s.ServerID, s.ServerName)
	switch s.Kind {
	case hcloud.PowerStepAlreadyOff:
		p.say("Server %s is off: imaging it as it is; it stays off", srv)
	case hcloud.PowerStepShutdown:
		p.say("Shutting down server %s for a consistent image (graceful ACPI shutdown)", srv)
	case hcloud.PowerStepOff:
		p.say("Server %s is off, %s after the shutdown request", srv, roundDuration(s.Elapsed))
	case hcloud.PowerStepPowerCut:
		p.say("Server %s did not shut down within %s: cutting its power (poweroff_on_shutdown_timeout)", srv, s.Elapsed)
	case hcloud.PowerStepPowerOn:
		p.say("Powering server %s on again", srv)
	case hcloud.PowerStepRunningAgain:
		p.say("Server %s is running again, %s after the shutdown request", srv, roundDuration(s.Elapsed))
	}
}

// imageProgress returns the callback that says how far an image is written: each new
// percentage, with the end the client predicts once it has one.
func (p *progressSender) imageProgress(imageID int64) func(hcloud.ActionProgress) {
	last := -1
	return func(a hcloud.ActionProgress) {
		switch {
		case a.Status == hcloud.ActionStatusSuccess:
			p.say("Image %d is written, %s after the create", imageID, roundDuration(a.Elapsed))
		case a.Status != hcloud.ActionStatusRunning || a.Progress == last || a.Elapsed == 0:
			// The create's own answer (elapsed 0) says nothing the line before did not.
		case a.PredictedEnd.IsZero():
			last = a.Progress
			p.say("Image %d: %d%% written after %s", imageID, a.Progress, roundDuration(a.Elapsed))
		default:
			last = a.Progress
			p.say("Image %d: %d%% written after %s; expected to be written at %s (in about %s)", imageID, a.Progress,
				roundDuration(a.Elapsed), a.PredictedEnd.UTC().Format("15:04:05 UTC"), roundDuration(time.Until(a.PredictedEnd)))
		}
	}
}

// rotated says what the rotation did with one older image.
func (p *progressSender) rotated(r hcloud.RotatedImage) {
	img := r.Image
	what := fmt.Sprintf("image %d (%s of %s)", img.ID, img.Type, img.Created.UTC().Format(time.RFC3339))
	switch r.Outcome {
	case hcloud.RotationKept:
		p.say("keep_last: keeping %s", what)
	case hcloud.RotationDeleted:
		p.say("keep_last: deleted %s", what)
	case hcloud.RotationProtected:
		p.say("keep_last: kept %s: it has delete protection", what)
	case hcloud.RotationWriting:
		p.say("keep_last: kept %s: it is still being written", what)
	case hcloud.RotationFailed:
		p.say("keep_last: deleting %s failed: %v", what, r.Err)
	}
}

func serverName(id int64, name string) string {
	if name == "" {
		return fmt.Sprint(id)
	}
	return fmt.Sprintf("%d (%s)", id, name)
}

// roundDuration shows a duration to the second, or to the tenth of one below ten seconds.
func roundDuration(d time.Duration) time.Duration {
	if d < 10*time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Second)
}
