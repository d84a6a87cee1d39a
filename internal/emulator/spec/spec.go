// Package spec checks the emulator's HTTP traffic against the Hetzner Cloud
// OpenAPI document, so that emulator tests fail when a response drifts from the
// real API's contract (missing keys, wrong types or enums, undocumented status
// codes, malformed error bodies).
//
// The document is a committed extract (openapi-images.json) of the full
// description in ../shared/hcloud-api, restricted to the paths the emulator
// serves; see README.md for provenance and how to regenerate it.
package spec

//go:generate go run ./extract -in ../../../../shared/hcloud-api/openapi.json -out openapi-images.json

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

//go:embed openapi-images.json
var document []byte

// errorSchema names the API-wide error envelope {"error":{"code","message","details"}}.
const errorSchema = "error_response"

// Validator checks requests and responses against the embedded document.
// It is immutable after Load and safe for concurrent use.
type Validator struct {
	doc      *openapi3.T
	router   routers.Router
	errorRes *openapi3.Schema
}

// Load parses and validates the embedded document once and returns the
// shared Validator.
func Load() (*Validator, error) { return load() }

var load = sync.OnceValues(func() (*Validator, error) { return newValidator(document) })

func newValidator(data []byte) (*Validator, error) {
	loader := openapi3.NewLoader() // external refs stay disallowed: the extract is self-contained
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("spec: load: %w", err)
	}
	ctx := context.Background()
	if err := doc.Validate(ctx); err != nil {
		return nil, fmt.Errorf("spec: invalid document: %w", err)
	}

	// The document's servers (document-level and repeated on every path item)
	// are https://api.hetzner.cloud/v1, which would only match requests for
	// that host. The emulator listens on http://127.0.0.1:PORT/v1, so route on
	// the path alone: one relative server "/v1", no per-path servers.
	doc.Servers = openapi3.Servers{{URL: "/v1"}}
	for _, item := range doc.Paths.Map() {
		item.Servers = nil
		// The source writes status ranges as "4xx"/"5xx". OpenAPI 3.0.3 asks
		// for an uppercase "X" and kin-openapi only looks up "4XX", so without
		// this every error response would count as undocumented.
		for _, op := range item.Operations() {
			for _, key := range op.Responses.Keys() {
				if len(key) == 3 && strings.HasSuffix(key, "xx") {
					ref := op.Responses.Value(key)
					op.Responses.Delete(key)
					op.Responses.Set(strings.ToUpper(key), ref)
				}
			}
		}
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("spec: router: %w", err)
	}
	v := &Validator{doc: doc, router: router}
	if ref := doc.Components.Schemas[errorSchema]; ref != nil {
		v.errorRes = ref.Value
	}
	if v.errorRes == nil {
		return nil, fmt.Errorf("spec: document has no components.schemas.%s", errorSchema)
	}
	return v, nil
}

// schemaOpts keeps messages to one line: without DisableSchemaErrorDetails
// every schema error carries the full schema and value as indented JSON.
var schemaOpts = []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}

// CheckResponse validates a response to r against the operation r matches:
// the status must be documented (exactly, as a range such as 4XX, or by a
// default response), and headers and body must match the declared content.
//
// Error statuses (>= 400) that an operation does not declare are still
// checked: their body must be the API-wide error envelope (error_response).
// Every operation in the current extract declares 4XX and 5XX, so this only
// matters if a future extract drops them.
func (v *Validator) CheckResponse(r *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("%s %s -> %d: no operation in spec: %w", r.Method, r.URL.Path, status, err)
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s %s -> %d (%s): %s", r.Method, r.URL.Path, status, route.Operation.OperationID, fmt.Sprintf(format, args...))
	}

	ref := route.Operation.Responses.Status(status)
	if ref == nil {
		ref = route.Operation.Responses.Default()
	}
	if ref == nil {
		if status >= 400 {
			if err := v.checkErrorBody(header, body); err != nil {
				return fail("undeclared error status, body is not an error_response: %v", err)
			}
			return nil
		}
		return fail("status not documented (documented: %s)", strings.Join(route.Operation.Responses.Keys(), ", "))
	}
	// openapi3filter does not look at the body when no content is declared
	// (e.g. 204 for delete_image); a body there is still a contract violation.
	if ref.Value != nil && len(ref.Value.Content) == 0 && len(bytes.TrimSpace(body)) > 0 {
		return fail("spec declares no body, got %d bytes", len(body))
	}

	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true, // report every broken field at once
			SchemaValidationOptions: schemaOpts,
		},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fail("%s", compact(err))
	}
	return nil
}

// checkErrorBody validates body against the error_response schema.
func (v *Validator) checkErrorBody(header http.Header, body []byte) error {
	if mt, _, _ := mime.ParseMediaType(header.Get("Content-Type")); mt != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", header.Get("Content-Type"))
	}
	var value any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	opts := append([]openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors()}, schemaOpts...)
	if err := v.errorRes.VisitJSON(value, opts...); err != nil {
		return errors.New(compact(err))
	}
	return nil
}

// CheckRequest validates r (with its body given separately, so r.Body is not
// consumed) against the operation it matches: path and query parameters, the
// request body, and the bearer token the document's security requires.
func (v *Validator) CheckRequest(r *http.Request, body []byte) error {
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return fmt.Errorf("%s %s: no operation in spec: %w", r.Method, r.URL.Path, err)
	}
	req := r.Clone(context.Background())
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			MultiError:                        true,
			RejectWhenRequestBodyNotSpecified: true,
			SkipSettingDefaults:               true, // validate, never rewrite
			AuthenticationFunc:                bearerPresent,
			SchemaValidationOptions:           schemaOpts,
		},
	}
	if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s (%s): %s", r.Method, r.URL.Path, route.Operation.OperationID, compact(err))
	}
	return nil
}

// bearerPresent accepts any non-empty bearer token: the emulator does not
// authenticate, but the real API rejects requests without one.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	s := in.SecurityScheme
	if s == nil || s.Type != "http" || !strings.EqualFold(s.Scheme, "bearer") {
		return fmt.Errorf("unsupported security scheme %q", in.SecuritySchemeName)
	}
	h := in.RequestValidationInput.Request.Header.Get("Authorization")
	if scheme, token, ok := strings.Cut(h, " "); !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return errors.New("missing Authorization: Bearer token")
	}
	return nil
}

// compact keeps an error to one line: kin-openapi already joins multiple
// errors with " | ", but nested reasons may carry newlines.
func compact(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }

// Recorder collects the outcome of checking every response the emulator
// writes. Its Observe method fits the emulator's Options.OnResponse hook.
type Recorder struct {
	v          *Validator
	mu         sync.Mutex
	checked    int
	violations []error
}

// Recorder returns an empty Recorder that checks with v.
func (v *Validator) Recorder() *Recorder { return &Recorder{v: v} }

// Observe checks one response and records any violation. It is safe for
// concurrent use.
func (rec *Recorder) Observe(r *http.Request, status int, header http.Header, body []byte) {
	err := rec.v.CheckResponse(r, status, header, body)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.checked++
	if err != nil {
		rec.violations = append(rec.violations, err)
	}
}

// Checked returns how many responses were observed.
func (rec *Recorder) Checked() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.checked
}

// Violations returns the errors found so far, in observation order.
func (rec *Recorder) Violations() []error {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.violations)
}
