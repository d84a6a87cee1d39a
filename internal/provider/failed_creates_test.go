package provider

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
)

// fakeGate is an answerGate on a clock that stands still, recording the waits it asks for.
func fakeGate(spacing time.Duration) (*answerGate, func() []time.Duration) {
	var mu sync.Mutex
	var waits []time.Duration
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	g := &answerGate{spacing: spacing, now: func() time.Time { return now }, sleep: func(d time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		waits = append(waits, d)
	}}
	return g, func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		return slices.Sorted(slices.Values(waits))
	}
}

func TestAnswerGate_isolatedAnswersAtOnceGoOneSpacingApart(t *testing.T) {
	g, waits := fakeGate(100 * time.Millisecond)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(g.isolate)
	}
	wg.Wait()
	// The first goes at once; each of the others waits one spacing more than the one before.
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 300 * time.Millisecond}
	if got := waits(); !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestAnswerGate_noAnswerEntersTheWindowOfAnIsolatedOne(t *testing.T) {
	now := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	var waited []time.Duration
	g := &answerGate{spacing: 100 * time.Millisecond, now: func() time.Time { return now },
		sleep: func(d time.Duration) { waited = append(waited, d) }}
	step := func(d time.Duration, answer func()) {
		now = now.Add(d)
		answer()
	}
	step(0, g.pass)                       // ordinary answers go at once
	step(0, g.pass)                       //
	step(30*time.Millisecond, g.isolate)  // 70 ms after the last ordinary one: waits 70 ms
	step(0, g.pass)                       // its window is open until 170 ms from now: waits 170 ms
	step(time.Second, g.pass)             // long after: at once
	step(150*time.Millisecond, g.isolate) // 150 ms after the answer before: at once
	step(time.Second, g.isolate)          // at once
	step(20*time.Millisecond, g.isolate)  // 80 ms early
	want := []time.Duration{70 * time.Millisecond, 170 * time.Millisecond, 80 * time.Millisecond}
	if !slices.Equal(waited, want) {
		t.Errorf("waits %v, want %v", waited, want)
	}
}

// answering is a framework server whose ApplyResourceChange gives a fixed answer.
type answering struct {
	frameworkServer
	resp *tfprotov6.ApplyResourceChangeResponse
}

func (a answering) ApplyResourceChange(context.Context, *tfprotov6.ApplyResourceChangeRequest) (*tfprotov6.ApplyResourceChangeResponse, error) {
	return a.resp, nil
}

func TestSpacedFailedCreates_onlyFailedCreatesThatCarryAnObjectAreSpaced(t *testing.T) {
	null := &tfprotov6.DynamicValue{MsgPack: []byte{0xc0}}
	object := &tfprotov6.DynamicValue{MsgPack: []byte{0x81, 0xa2, 'i', 'd', 0x01}} // {"id": 1}
	failed := []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityError, Summary: "Image Creation Did Not Finish"}}
	warned := []*tfprotov6.Diagnostic{{Severity: tfprotov6.DiagnosticSeverityWarning, Summary: "a warning"}}
	tests := []struct {
		name          string
		prior, result *tfprotov6.DynamicValue
		diags         []*tfprotov6.Diagnostic
		spaced        bool
	}{
		{name: "create failed after its object came to exist", prior: null, result: object, diags: failed, spaced: true},
		{name: "create failed, absent prior state", prior: nil, result: object, diags: failed, spaced: true},
		{name: "create failed before anything existed", prior: null, result: null, diags: failed},
		{name: "create succeeded", prior: null, result: object},
		{name: "create succeeded with a warning", prior: null, result: object, diags: warned},
		{name: "update failed", prior: object, result: object, diags: failed},
		{name: "delete failed", prior: object, result: object, diags: failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, waits := fakeGate(100 * time.Millisecond)
			s := spacedFailedCreates{answering{resp: &tfprotov6.ApplyResourceChangeResponse{NewState: tt.result, Diagnostics: tt.diags}}, g}
			for range 2 {
				if _, err := s.ApplyResourceChange(t.Context(), &tfprotov6.ApplyResourceChangeRequest{PriorState: tt.prior}); err != nil {
					t.Fatal(err)
				}
			}
			// Of two answers in a row, the second waits when they are spaced.
			if spaced := len(waits()) == 1; spaced != tt.spaced {
				t.Errorf("the second answer waited %v, want spaced=%v", waits(), tt.spaced)
			}
		})
	}
}

func TestIsNull_readsBothEncodings(t *testing.T) {
	for _, tt := range []struct {
		v    *tfprotov6.DynamicValue
		null bool
	}{
		{nil, true},
		{&tfprotov6.DynamicValue{}, true},
		{&tfprotov6.DynamicValue{MsgPack: []byte{0xc0}}, true},
		{&tfprotov6.DynamicValue{JSON: []byte("null")}, true},
		{&tfprotov6.DynamicValue{MsgPack: []byte{0x80}}, false}, // {}
		{&tfprotov6.DynamicValue{JSON: []byte(`{"id":"1"}`)}, false},
	} {
		if got := isNull(tt.v); got != tt.null {
			t.Errorf("isNull(%+v) = %v, want %v", tt.v, got, tt.null)
		}
	}
}
