package emulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestChaos_injectsOnlyTheChosenKindsAtTheRate(t *testing.T) {
	e := New(Options{})
	e.SetChaos(Chaos{Rate: 1, Seed: 7, Kinds: []FaultKind{FaultConflict}})
	srv := httptest.NewServer(e)
	defer srv.Close()
	for range 5 {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1/images/1001", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusConflict {
			t.Fatalf("status %d, want 409", resp.StatusCode)
		}
	}
	if got := e.ChaosCounts()[FaultConflict]; got != 5 {
		t.Errorf("counted %d conflicts, want 5", got)
	}
}

func TestChaos_sameSeedSameFaults(t *testing.T) {
	run := func() map[FaultKind]int {
		e := New(Options{})
		e.SetChaos(Chaos{Rate: 0.5, Seed: 42})
		srv := httptest.NewServer(e)
		defer srv.Close()
		for range 200 {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1/images", nil)
			req.Header.Set("Authorization", "Bearer "+testToken)
			tr := &http.Transport{DisableKeepAlives: true}
			if resp, err := (&http.Client{Transport: tr}).Do(req); err == nil {
				_ = resp.Body.Close()
			}
		}
		return e.ChaosCounts()
	}
	a, b := run(), run()
	total := 0
	for k, n := range a {
		total += n
		if b[k] != n {
			t.Errorf("%s: %d then %d with the same seed", k, n, b[k])
		}
		if k == FaultLostCreate || k == FaultActionError || k == FaultServerLocked {
			t.Errorf("%s injected into a GET", k)
		}
	}
	if total < 70 || total > 130 {
		t.Errorf("%d faults in 200 requests at rate 0.5", total)
	}
}

func TestChaos_processedThenFailedOnlyOnWrites(t *testing.T) {
	h := withListFixtures(t)
	after := []FaultKind{FaultServerErrorAfter, FaultUnavailableAfter, FaultBadGatewayAfter, FaultGatewayTimeoutAfter, FaultResetAfter}
	h.emu.SetChaos(Chaos{Rate: 1, Seed: 3, Kinds: after})
	for range 10 {
		h.do("GET", "/v1/images/1001", "").wantStatus(t, http.StatusOK)
	}
	if n := injected(h.emu); n != 0 {
		t.Fatalf("%d processed-then-failed faults on reads", n)
	}
	for i := range 10 {
		desc := "written " + itoa(int64(i))
		if res, err := h.send("PUT", "/v1/images/2001", `{"description":"`+desc+`"}`, "Bearer "+testToken); err == nil && res.status < 500 {
			t.Fatalf("PUT answered %d, want a failure", res.status)
		}
		if img, _ := h.emu.Image(2001); img.Description != desc {
			t.Fatalf("description %q, want %q: the write must take effect", img.Description, desc)
		}
	}
	if n := injected(h.emu); n != 10 {
		t.Errorf("%d faults on 10 writes at rate 1", n)
	}
	for k, n := range h.emu.ChaosCounts() {
		if !k.ProcessedThenFailed() {
			t.Errorf("%d of kind %q", n, k)
		}
	}
}

func TestChaos_busyServerHoldsItWithAnActionOfItsOwn(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: time.Second})
	h.emu.SetChaos(Chaos{Rate: 1, Seed: 1, Kinds: []FaultKind{FaultServerLocked}, LockFor: time.Hour})
	h.do("POST", "/v1/servers/102/actions/create_image", `{}`).wantError(t, http.StatusLocked, "locked")
	h.do("POST", "/v1/servers/101/actions/create_image", `{}`).wantError(t, http.StatusLocked, "locked")
	h.emu.SetChaos(Chaos{})
	commands := map[int64]string{}
	for _, a := range h.emu.Actions() {
		if a.Status == ActionStatusRunning {
			commands[a.Resources[0].ID] = a.Command
		}
	}
	if commands[102] != "create_image" || commands[101] != "rebuild_server" {
		t.Errorf("running actions by server: %v; want 102's daily backup and 101's rebuild", commands)
	}
	if got := backupIDs(h.emu, 102); len(got) != 1 {
		t.Errorf("automatic backups of 102: %v", got)
	}
	h.clock.Advance(30 * time.Minute)
	h.do("POST", "/v1/servers/101/actions/create_image", `{}`).wantError(t, http.StatusLocked, "locked")
	h.clock.Advance(31 * time.Minute)
	h.createImageStatus(101, http.StatusCreated)
}

func injected(e *Emulator) int {
	n := 0
	for _, c := range e.ChaosCounts() {
		n += c
	}
	return n
}

func TestChaos_afterShareTiltsWritesTowardsProcessedThenFailed(t *testing.T) {
	h := withListFixtures(t)
	h.emu.SetChaos(Chaos{Rate: 1, Seed: 9, AfterShare: 1})
	for range 20 {
		_, _ = h.send("PUT", "/v1/images/2001", `{"description":"d"}`, "Bearer "+testToken)
	}
	for k, n := range h.emu.ChaosCounts() {
		if !k.ProcessedThenFailed() {
			t.Errorf("%d faults of kind %q with AfterShare 1", n, k)
		}
	}
	if n := injected(h.emu); n != 20 {
		t.Errorf("%d faults on 20 writes at rate 1", n)
	}
}
