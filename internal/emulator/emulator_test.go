package emulator

import (
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func TestAuth(t *testing.T) {
	other := strings.Repeat("Z9", 32)
	tests := []struct {
		name          string
		token         string // Options.Token
		authorization string
		wantStatus    int
	}{
		{"missingHeaderIsUnauthorized", "", "", http.StatusUnauthorized},
		{"basicSchemeIsUnauthorized", "", "Basic " + testToken, http.StatusUnauthorized},
		{"shortTokenIsUnauthorized", "", "Bearer abc", http.StatusUnauthorized},
		{"nonAlphanumericTokenIsUnauthorized", "", "Bearer " + strings.Repeat("-", 64), http.StatusUnauthorized},
		{"any64AlphanumericTokenPassesWithoutOptionToken", "", "Bearer " + other, http.StatusOK},
		{"lowercaseBearerSchemePasses", "", "bearer " + testToken, http.StatusOK},
		{"otherTokenIsUnauthorizedWithOptionToken", testToken, "Bearer " + other, http.StatusUnauthorized},
		{"configuredTokenPasses", "secret", "Bearer secret", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{Token: tt.token})
			res := h.doWith("GET", "/v1/images", "", tt.authorization)
			if tt.wantStatus == http.StatusUnauthorized {
				res.wantError(t, http.StatusUnauthorized, "unauthorized")
			}
			res.wantStatus(t, tt.wantStatus)
		})
	}
}

func TestEveryResponseCarriesCommonHeaders(t *testing.T) {
	h := newHarness(t, Options{})
	for _, res := range []result{
		h.do("GET", "/v1/images", ""),
		h.doWith("GET", "/v1/images", "", ""),
		h.do("GET", "/v1/nowhere", ""),
		h.do("DELETE", "/v1/images/1001", ""),
	} {
		if !regexp.MustCompile(`^[0-9a-f]{16}$`).MatchString(res.header.Get("X-Correlation-Id")) {
			t.Errorf("X-Correlation-Id = %q", res.header.Get("X-Correlation-Id"))
		}
		for _, k := range []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} {
			if res.header.Get(k) == "" {
				t.Errorf("%d response lacks %s", res.status, k)
			}
		}
		if ct := res.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%d response Content-Type = %q", res.status, ct)
		}
	}
}

func TestRouting(t *testing.T) {
	tests := []struct {
		name, method, path string
		wantStatus         int
		wantCode           string
	}{
		{"unknownPathIsNotFound", "GET", "/v1/volumes", http.StatusNotFound, "not_found"},
		{"pathOutsideV1IsNotFound", "GET", "/", http.StatusNotFound, "not_found"},
		{"trailingSlashIsNotFound", "GET", "/v1/images/", http.StatusNotFound, "not_found"},
		{"nonNumericIDIsNotFound", "GET", "/v1/images/abc", http.StatusNotFound, "not_found"},
		{"wrongMethodOnImageIsNotAllowed", "PATCH", "/v1/images/1001", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"wrongMethodOnListIsNotAllowed", "POST", "/v1/images", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"changeProtectionIsNotAnActionID", "GET", "/v1/images/1001/actions/change_protection", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"createImageNeedsPost", "GET", "/v1/servers/101/actions/create_image", http.StatusMethodNotAllowed, "method_not_allowed"},
		{"imagesActionsIsAList", "GET", "/v1/images/actions", http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			res := h.do(tt.method, tt.path, "")
			if tt.wantCode != "" {
				res.wantError(t, tt.wantStatus, tt.wantCode)
			}
			res.wantStatus(t, tt.wantStatus)
		})
	}
}

func TestConcurrentClientsAreSafe(t *testing.T) {
	h := newHarness(t, Options{})
	h.client = &http.Client{} // keep-alives on: many requests
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 10 {
				switch (i + j) % 4 {
				case 0:
					h.do("POST", "/v1/servers/101/actions/create_image", `{}`)
				case 1:
					h.do("GET", "/v1/images?type=snapshot", "")
				case 2:
					h.clock.Advance(0)
					_ = h.emu.Images()
				default:
					h.do("GET", "/v1/images/actions?status=success", "")
				}
			}
		})
	}
	wg.Wait()
	if got := h.emu.TotalRequests(); got != 60 {
		t.Errorf("TotalRequests = %d, want 60", got)
	}
}

func TestLoggerWritesOneLinePerRequestWithoutToken(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	h := newHarness(t, Options{Logger: func(l string) { mu.Lock(); lines = append(lines, l); mu.Unlock() }})
	h.do("GET", "/v1/images?name=debian-12", "")
	h.do("DELETE", "/v1/images/9", "")
	mu.Lock()
	defer mu.Unlock()
	if len(lines) != 2 {
		t.Fatalf("lines = %q", lines)
	}
	if !strings.Contains(lines[0], "GET /v1/images?name=debian-12 -> 200") || !strings.Contains(lines[1], "DELETE /v1/images/9 -> 404") {
		t.Errorf("lines = %q", lines)
	}
	for _, l := range lines {
		if strings.Contains(l, testToken) || strings.Contains(l, "Bearer") {
			t.Errorf("log line leaks the token: %q", l)
		}
	}
}

// A read-only token reads everything and changes nothing: every write is refused before it has
// any effect, with the code the API documents for it.
func TestReadOnlyTokenMayOnlyRead(t *testing.T) {
	readOnly := strings.Repeat("R0", 32)
	h := newHarness(t, Options{Token: testToken, ReadOnlyTokens: []string{readOnly}})
	for _, path := range []string{"/v1/images", "/v1/images/1001", "/v1/images/actions"} {
		h.doWith("GET", path, "", "Bearer "+readOnly).wantStatus(t, http.StatusOK)
	}
	before := len(h.listImageIDs(""))
	writes := []struct{ method, path, body string }{
		{"POST", "/v1/servers/101/actions/create_image", `{"type":"snapshot"}`},
		{"PUT", "/v1/images/1001", `{"description":"x"}`},
		{"DELETE", "/v1/images/1001", ""},
		{"POST", "/v1/images/1001/actions/change_protection", `{"delete":true}`},
	}
	for _, w := range writes {
		res := h.doWith(w.method, w.path, w.body, "Bearer "+readOnly)
		e := res.wantError(t, http.StatusUnauthorized, "token_readonly")
		if e.Error.Message == "" {
			t.Errorf("%s %s: token_readonly without a message", w.method, w.path)
		}
	}
	if after := len(h.listImageIDs("")); after != before {
		t.Errorf("read-only writes changed the images: %d before, %d after", before, after)
	}
	// The read-write token still writes.
	h.do("POST", "/v1/servers/101/actions/create_image", `{"type":"snapshot"}`).wantStatus(t, http.StatusCreated)
}
