package emulator

import (
	"net/http"
	"net/http/httptest"
	"testing"
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
