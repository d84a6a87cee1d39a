package spec

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/spec/internal/subset"
)

// The emulator listens on a loopback port; requests must match regardless.
const base = "http://127.0.0.1:38271/v1"

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// validImage is a complete image object as the real API returns it.
func validImage() map[string]any {
	return map[string]any{
		"id":           float64(4711),
		"type":         "snapshot",
		"status":       "available",
		"name":         nil,
		"description":  "my snapshot",
		"image_size":   2.3,
		"disk_size":    float64(10),
		"created":      "2016-01-30T23:55:00Z",
		"created_from": map[string]any{"id": float64(1), "name": "Server"},
		"bound_to":     nil,
		"os_flavor":    "ubuntu",
		"os_version":   nil,
		"rapid_deploy": false,
		"protection":   map[string]any{"delete": false},
		"deprecated":   nil,
		"deleted":      nil,
		"labels":       map[string]any{"env": "test"},
		"architecture": "x86",
	}
}

func validAction() map[string]any {
	return map[string]any{
		"id":        float64(13),
		"command":   "create_image",
		"status":    "running",
		"progress":  float64(0),
		"started":   "2016-01-30T23:55:00Z",
		"finished":  nil,
		"resources": []any{map[string]any{"id": float64(42), "type": "server"}},
		"error":     nil,
	}
}

var validMeta = map[string]any{"pagination": map[string]any{
	"page": float64(1), "per_page": float64(25), "previous_page": nil,
	"next_page": nil, "last_page": float64(1), "total_entries": float64(1),
}}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func mustLoad(t *testing.T) *Validator {
	t.Helper()
	v, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func req(method, path string) *http.Request {
	return httptest.NewRequestWithContext(context.Background(), method, base+path, nil)
}

func TestRouting(t *testing.T) {
	v := mustLoad(t)
	for _, tc := range []struct{ method, path, op string }{
		{"GET", "/images", "list_images"},
		{"GET", "/images?type=snapshot&page=2", "list_images"},
		{"GET", "/images/42", "get_image"},
		{"PUT", "/images/42", "replace_image"},
		{"DELETE", "/images/42", "delete_image"},
		{"GET", "/images/actions", "list_image_actions"}, // literal segment wins over {id}
		{"GET", "/images/actions/7", "get_image_action"},
		{"GET", "/images/42/actions", "list_actions_for_image"},
		{"GET", "/images/42/actions/7", "get_action_for_image"},
		{"POST", "/images/42/actions/change_protection", "change_image_protection"},
		{"POST", "/servers/42/actions/create_image", "create_image_from_server"},
		{"GET", "/actions?id=1&id=2", "get_multiple_actions"},
		{"GET", "/actions/7", "get_action"},
	} {
		route, _, err := v.router.FindRoute(req(tc.method, tc.path))
		if err != nil {
			t.Errorf("%s %s: %v", tc.method, tc.path, err)
			continue
		}
		if got := route.Operation.OperationID; got != tc.op {
			t.Errorf("%s %s routed to %s, want %s", tc.method, tc.path, got, tc.op)
		}
	}
	// Paths outside the extract are reported, not silently accepted.
	if err := v.CheckResponse(req("GET", "/servers"), 200, jsonHeader, []byte(`{}`)); err == nil {
		t.Error("GET /servers: want error for path outside the spec")
	}
}

func TestValidResponses(t *testing.T) {
	v := mustLoad(t)
	for _, tc := range []struct {
		name   string
		r      *http.Request
		status int
		header http.Header
		body   any // marshalled to JSON; []byte is used as is
	}{
		{"get_image", req("GET", "/images/4711"), 200, jsonHeader, map[string]any{"image": validImage()}},
		{"list_images with pagination", req("GET", "/images?type=snapshot"), 200, jsonHeader,
			map[string]any{"images": []any{validImage()}, "meta": validMeta}},
		{"delete_image 204 empty body", req("DELETE", "/images/4711"), 204, http.Header{}, []byte(nil)},
		{"create_image_from_server", req("POST", "/servers/42/actions/create_image"), 201, jsonHeader,
			map[string]any{"image": validImage(), "action": validAction()}},
		{"get_action", req("GET", "/actions/13"), 200, jsonHeader, map[string]any{"action": validAction()}},
		{"list_image_actions", req("GET", "/images/actions"), 200, jsonHeader,
			map[string]any{"actions": []any{validAction()}, "meta": validMeta}},
		{"error 404 via 4XX range", req("GET", "/images/1"), 404, jsonHeader,
			[]byte(`{"error":{"code":"not_found","message":"image with ID '1' not found","details":null}}`)},
		{"error 503 via 5XX range", req("GET", "/images/1"), 503, http.Header{"Content-Type": {"application/json; charset=utf-8"}},
			[]byte(`{"error":{"code":"unavailable","message":"try again","details":{}}}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ok := tc.body.([]byte)
			if !ok {
				body = mustJSON(t, tc.body)
			}
			if err := v.CheckResponse(tc.r, tc.status, tc.header, body); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestBrokenResponsesAreCaught(t *testing.T) {
	v := mustLoad(t)
	image := func(mutate func(map[string]any)) []byte {
		img := validImage()
		mutate(img)
		return mustJSON(t, map[string]any{"image": img})
	}
	for _, tc := range []struct {
		name   string
		r      *http.Request
		status int
		header http.Header
		body   []byte
		want   string // substring of the error
	}{
		{"missing required key", req("GET", "/images/4711"), 200, jsonHeader,
			image(func(m map[string]any) { delete(m, "protection") }), `property "protection" is missing`},
		{"wrong enum", req("GET", "/images/4711"), 200, jsonHeader,
			image(func(m map[string]any) { m["type"] = "vm" }), `Error at "/image/type": value is not one of the allowed values`},
		{"wrong type", req("GET", "/images/4711"), 200, jsonHeader,
			image(func(m map[string]any) { m["id"] = "12" }), `Error at "/image/id": value must be an integer`},
		{"null where not nullable", req("GET", "/images/4711"), 200, jsonHeader,
			image(func(m map[string]any) { m["status"] = nil }), `Error at "/image/status"`},
		{"null in a non-nullable number", req("GET", "/images/4711"), 200, jsonHeader,
			image(func(m map[string]any) { m["disk_size"] = nil }), `Error at "/image/disk_size": Value is not nullable`},
		{"bad date-time format", req("GET", "/images/4711"), 200, jsonHeader,
			image(func(m map[string]any) { m["created"] = "yesterday" }), `Error at "/image/created"`},
		{"list without meta", req("GET", "/images"), 200, jsonHeader,
			[]byte(`{"images":[]}`), `property "meta" is missing`},
		{"undocumented status", req("GET", "/images/4711"), 202, jsonHeader,
			image(func(map[string]any) {}), "status not documented (documented: 200, 4XX, 5XX)"},
		{"success status of another operation", req("DELETE", "/images/4711"), 200, jsonHeader,
			[]byte(`{}`), "status not documented"},
		{"body on 204", req("DELETE", "/images/4711"), 204, jsonHeader,
			[]byte(`{"image":{}}`), "spec declares no body"},
		{"error body without envelope", req("GET", "/images/1"), 404, jsonHeader,
			[]byte(`{"code":"not_found","message":"gone"}`), `property "error" is missing`},
		{"error body missing message", req("GET", "/images/1"), 422, jsonHeader,
			[]byte(`{"error":{"code":"invalid_input"}}`), `property "message" is missing`},
		{"error body not JSON", req("GET", "/images/1"), 500, http.Header{"Content-Type": {"text/plain"}},
			[]byte("internal error"), "text/plain"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.CheckResponse(tc.r, tc.status, tc.header, tc.body)
			if err == nil {
				t.Fatal("violation not detected")
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not mention %q", msg, tc.want)
			}
			// Messages must say which exchange broke the contract.
			prefix := tc.r.Method + " " + tc.r.URL.Path + " -> "
			if !strings.HasPrefix(msg, prefix) || strings.Contains(msg, "\n") {
				t.Errorf("error %q should be one line starting with %q", msg, prefix)
			}
		})
	}
}

// TestUndeclaredErrorStatus covers an operation that does not declare 4XX
// (none does in the current extract): error bodies must still be error_response.
func TestUndeclaredErrorStatus(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal(document, &doc); err != nil {
		t.Fatal(err)
	}
	getImage := doc["paths"].(map[string]any)["/images/{id}"].(map[string]any)["get"].(map[string]any)
	delete(getImage["responses"].(map[string]any), "4xx")
	v, err := newValidator(mustJSON(t, doc))
	if err != nil {
		t.Fatal(err)
	}
	r := req("GET", "/images/1")
	if err := v.CheckResponse(r, 404, jsonHeader, []byte(`{"error":{"code":"not_found","message":"x","details":null}}`)); err != nil {
		t.Errorf("valid error body: %v", err)
	}
	if err := v.CheckResponse(r, 404, jsonHeader, []byte(`{"error":"not_found"}`)); err == nil || !strings.Contains(err.Error(), "not an error_response") {
		t.Errorf("broken error body: got %v", err)
	}
	if err := v.CheckResponse(r, 202, jsonHeader, []byte(`{}`)); err == nil {
		t.Error("undocumented 2xx accepted")
	}
}

func TestCheckRequest(t *testing.T) {
	v := mustLoad(t)
	authed := func(method, path string) *http.Request {
		r := req(method, path)
		r.Header.Set("Authorization", "Bearer token")
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	ok := []struct {
		r    *http.Request
		body string
	}{
		{authed("GET", "/images?type=snapshot&type=backup&sort=id:asc&label_selector=env%3Dtest&page=1&per_page=50"), ""},
		{authed("POST", "/servers/42/actions/create_image"), `{"type":"snapshot","description":"x","labels":{"env":"test"}}`},
		{authed("PUT", "/images/42"), `{"description":"y","labels":{}}`},
		{authed("POST", "/images/42/actions/change_protection"), `{"delete":true}`},
	}
	for _, tc := range ok {
		if err := v.CheckRequest(tc.r, []byte(tc.body)); err != nil {
			t.Errorf("valid request rejected: %v", err)
		}
	}
	bad := []struct {
		r          *http.Request
		body, want string
	}{
		{authed("GET", "/images?type=vm"), "", `parameter "type" in query`},
		{authed("GET", "/images/abc"), "", `parameter "id" in path`},
		{authed("POST", "/servers/42/actions/create_image"), `{"type":"vm"}`, "request body has an error"},
		{req("GET", "/images"), "", "Bearer"},
	}
	for _, tc := range bad {
		err := v.CheckRequest(tc.r, []byte(tc.body))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %s: got %v, want error mentioning %q", tc.r.Method, tc.r.URL, err, tc.want)
		}
	}
}

func TestRecorderConcurrent(t *testing.T) {
	rec := mustLoad(t).Recorder()
	good := mustJSON(t, map[string]any{"image": validImage()})
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			body := good
			if i%10 == 0 {
				body = []byte(`{"image":{"id":"12"}}`)
			}
			rec.Observe(req("GET", "/images/4711"), 200, jsonHeader, body)
		})
	}
	wg.Wait()
	if got := rec.Checked(); got != 20 {
		t.Errorf("Checked() = %d, want 20", got)
	}
	if got := len(rec.Violations()); got != 2 {
		t.Errorf("%d violations, want 2: %v", got, errors.Join(rec.Violations()...))
	}
}

// TestExtractUpToDate regenerates the extract from the full document in the
// sibling ../shared checkout and compares it with the committed file.
func TestExtractUpToDate(t *testing.T) {
	const src = "../../../../shared/hcloud-api/openapi.json"
	data, err := os.ReadFile(src)
	if errors.Is(err, fs.ErrNotExist) {
		t.Skipf("SKIP: source %s is not present (it is not part of the repository); cannot check that openapi-images.json is up to date", src)
	}
	if err != nil {
		t.Fatal(err)
	}
	want, err := subset.Extract(data, subset.Default)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, document) {
		t.Fatalf("openapi-images.json is stale (%d bytes committed, %d regenerated); run: go generate ./internal/emulator/spec", len(document), len(want))
	}
	t.Logf("openapi-images.json matches a fresh extract of %s (%d bytes)", src, len(want))
}
