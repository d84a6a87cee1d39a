package emulator

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// testToken has the shape of a real token: 64 alphanumerics.
var testToken = strings.Repeat("a1B2", 16)

var testEpoch = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is the emulator's clock in tests; nothing sleeps.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type harness struct {
	t      *testing.T
	emu    *Emulator
	srv    *httptest.Server
	clock  *fakeClock
	client *http.Client
}

// newHarness serves an emulator over real HTTP with a fake clock. Keep-alives
// are off so that a dropped connection is seen by the client as an error
// instead of being retried by net/http on a fresh connection.
func newHarness(t *testing.T, opts Options) *harness {
	t.Helper()
	clock := &fakeClock{now: testEpoch}
	if opts.Clock == nil {
		opts.Clock = clock.Now
	}
	emu := New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(srv.Close)
	return &harness{
		t: t, emu: emu, srv: srv, clock: clock,
		client: &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second},
	}
}

type result struct {
	status int
	header http.Header
	raw    []byte
}

// do sends an authenticated request; body "" sends none.
func (h *harness) do(method, path, body string) result {
	h.t.Helper()
	return h.doWith(method, path, body, "Bearer "+testToken)
}

func (h *harness) doWith(method, path, body, authorization string) result {
	h.t.Helper()
	res, err := h.send(method, path, body, authorization)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

func (h *harness) send(method, path, body, authorization string) (result, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, h.srv.URL+path, rd)
	if err != nil {
		return result{}, err
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return result{}, err
	}
	return result{status: resp.StatusCode, header: resp.Header, raw: raw}, nil
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.raw, v); err != nil {
		t.Fatalf("decode %s: %v", r.raw, err)
	}
}

type wireError struct {
	Error struct {
		Code    string          `json:"code"`
		Message string          `json:"message"`
		Details json.RawMessage `json:"details"`
	} `json:"error"`
}

// wantError checks status, code and the JSON content type of an error.
func (r result) wantError(t *testing.T, status int, code string) wireError {
	t.Helper()
	var e wireError
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	r.decode(t, &e)
	if e.Error.Code != code {
		t.Fatalf("code = %q, want %q; body %s", e.Error.Code, code, r.raw)
	}
	return e
}

// fieldNames returns details.fields[].name of an invalid_input error.
func (e wireError) fieldNames(t *testing.T) []string {
	t.Helper()
	var d fieldDetails
	if err := json.Unmarshal(e.Error.Details, &d); err != nil {
		t.Fatalf("details %s: %v", e.Error.Details, err)
	}
	var names []string
	for _, f := range d.Fields {
		names = append(names, f.Name)
	}
	return names
}

func (r result) wantStatus(t *testing.T, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
}

type imageList struct {
	Images []Image  `json:"images"`
	Meta   listMeta `json:"meta"`
}

func (h *harness) listImageIDs(query string) []int64 {
	h.t.Helper()
	res := h.do("GET", "/v1/images"+query, "")
	res.wantStatus(h.t, http.StatusOK)
	var l imageList
	res.decode(h.t, &l)
	ids := []int64{}
	for _, img := range l.Images {
		ids = append(ids, img.ID)
	}
	return ids
}

type createResult struct {
	Image  Image  `json:"image"`
	Action Action `json:"action"`
}

func (h *harness) createImage(serverID int64, body string) createResult {
	h.t.Helper()
	res := h.do("POST", "/v1/servers/"+itoa(serverID)+"/actions/create_image", body)
	res.wantStatus(h.t, http.StatusCreated)
	var c createResult
	res.decode(h.t, &c)
	return c
}

func (h *harness) getAction(id int64) Action {
	h.t.Helper()
	res := h.do("GET", "/v1/actions/"+itoa(id), "")
	res.wantStatus(h.t, http.StatusOK)
	var a actionResponse
	res.decode(h.t, &a)
	return a.Action
}

func (h *harness) getImage(id int64) Image {
	h.t.Helper()
	res := h.do("GET", "/v1/images/"+itoa(id), "")
	res.wantStatus(h.t, http.StatusOK)
	var i imageResponse
	res.decode(h.t, &i)
	return i.Image
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func ptr[T any](v T) *T { return &v }
