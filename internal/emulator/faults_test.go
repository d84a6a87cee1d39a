package emulator

import (
	"net/http"
	"strings"
	"sync"
	"testing"
)

func TestFailNext_injectedStatuses(t *testing.T) {
	tests := []struct {
		name       string
		fault      Fault
		wantStatus int
		wantCode   string // "" for a raw body
		wantCT     string
	}{
		{"statusGivesDefaultCode", Fault{Method: "GET", Path: "/v1/images/{id}", Status: 503}, 503, "unavailable", "application/json"},
		{"conflict", Fault{Path: "/v1/images/{id}", Status: 409}, 409, "conflict", "application/json"},
		{"customCodeAndMessage", Fault{Path: "/v1/images/{id}", Status: 504, Code: "timeout", Message: "slow"}, 504, "timeout", "application/json"},
		{"noStatusIsServerError", Fault{Path: "/v1/images/{id}"}, 500, "server_error", "application/json"},
		{"rawHTMLBody", Fault{Path: "/v1/images/{id}", Status: 502, RawBody: "<html>502 Bad Gateway</html>"}, 502, "", "text/html; charset=utf-8"},
		{"concretePathMatchesToo", Fault{Path: "/v1/images/1001", Status: 500}, 500, "server_error", "application/json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			h.emu.FailNext(tt.fault)
			res := h.do("GET", "/v1/images/1001", "")
			if ct := res.header.Get("Content-Type"); ct != tt.wantCT {
				t.Errorf("Content-Type = %q, want %q", ct, tt.wantCT)
			}
			if tt.wantCode != "" {
				e := res.wantError(t, tt.wantStatus, tt.wantCode)
				if tt.fault.Message != "" && e.Error.Message != tt.fault.Message {
					t.Errorf("message = %q", e.Error.Message)
				}
			} else {
				res.wantStatus(t, tt.wantStatus)
				if string(res.raw) != tt.fault.RawBody {
					t.Errorf("body = %q", res.raw)
				}
			}
			h.do("GET", "/v1/images/1001", "").wantStatus(t, 200) // consumed
			if got := h.emu.RequestCount("GET", "/v1/images/{id}"); got != 2 {
				t.Errorf("counted %d requests, want 2", got)
			}
		})
	}
}

func TestFailNext_matchingAndCount(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.FailNext(Fault{Method: "PUT", Path: "/v1/images/{id}", Status: 409, Count: 2})
	h.do("GET", "/v1/images/1001", "").wantStatus(t, 200)               // other method
	h.do("GET", "/v1/images", "").wantStatus(t, 200)                    // other route
	h.doWith("PUT", "/v1/images/1001", "{}", "").wantStatus(t, 401)     // unauthenticated: not consumed
	h.do("PUT", "/v1/images/1001", "{}").wantError(t, 409, "conflict")  // 1
	h.do("PUT", "/v1/images/1002", "{}").wantError(t, 409, "conflict")  // 2
	h.do("PUT", "/v1/images/1001", "{}").wantError(t, 403, "forbidden") // the real answer again

	h.emu.FailNext(Fault{Status: 500})
	h.emu.ClearFaults()
	h.do("GET", "/v1/images", "").wantStatus(t, 200)
}

func TestFailNext_dropBeforeProcessingChangesNothing(t *testing.T) {
	var hooked int
	var mu sync.Mutex
	h := newHarness(t, Options{OnResponse: func(*http.Request, int, http.Header, []byte) { mu.Lock(); hooked++; mu.Unlock() }})
	h.emu.FailNext(Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Drop: DropBeforeProcessing})
	before := len(h.emu.Images())
	_, err := h.send("POST", "/v1/servers/101/actions/create_image", `{}`, "Bearer "+testToken)
	if err == nil {
		t.Fatal("request succeeded, want a dropped connection")
	}
	if n := len(h.emu.Images()); n != before {
		t.Errorf("images %d -> %d, want no change", before, n)
	}
	if got := h.emu.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); got != 1 {
		t.Errorf("counted %d, want 1", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if hooked != 0 {
		t.Errorf("hook saw %d responses for a request that got none", hooked)
	}
}

func TestFailNext_dropAfterProcessingLosesOnlyTheResponse(t *testing.T) {
	var mu sync.Mutex
	var seen []int
	var seenBody string
	h := newHarness(t, Options{OnResponse: func(_ *http.Request, status int, _ http.Header, body []byte) {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, status)
		seenBody = string(body)
	}})
	h.emu.FailNext(Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Drop: DropAfterProcessing})
	_, err := h.send("POST", "/v1/servers/101/actions/create_image", `{"description":"lost"}`, "Bearer "+testToken)
	if err == nil {
		t.Fatal("request succeeded, want a dropped connection")
	}
	var found bool
	for _, img := range h.emu.Images() {
		found = found || img.Description == "lost"
	}
	if !found {
		t.Error("the image was not created although the request was processed")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 1 || seen[0] != http.StatusCreated || !strings.Contains(seenBody, `"lost"`) {
		t.Errorf("hook saw %v %s, want the 201 that was never delivered", seen, seenBody)
	}
}

func TestFailNext_dropOnGetIsAClientError(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.FailNext(Fault{Path: "/v1/actions", Drop: DropBeforeProcessing})
	if _, err := h.send("GET", "/v1/actions?id=1", "", "Bearer "+testToken); err == nil {
		t.Fatal("request succeeded, want a dropped connection")
	}
	h.do("GET", "/v1/actions?id=1", "").wantStatus(t, 200)
}
