package hcloud

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error codes of the Hetzner Cloud API that callers act on.
const (
	CodeNotFound      = "not_found"
	CodeLocked        = "locked"
	CodeProtected     = "protected"
	CodeConflict      = "conflict"
	CodeInvalidInput  = "invalid_input"
	CodeUnauthorized  = "unauthorized"
	CodeUnsupported   = "unsupported_error"
	CodeForbidden     = "forbidden"
	CodeTokenReadOnly = "token_readonly"
	CodeMaintenance   = "maintenance"
	CodeUnavailable   = "unavailable"
)

// APIError is an error the API answered with a JSON error body: the request reached the API and
// the API refused it. Transport failures are never an APIError.
type APIError struct {
	StatusCode    int
	Code          string
	Message       string
	Fields        []FieldError // details.fields of invalid_input errors
	CorrelationID string

	Method   string        // of the request, so that a refused write can be told from a read
	Attempts int           // how often the request was sent; this is the last answer
	Elapsed  time.Duration // from the first attempt to the last answer
}

// FieldError names one field of an invalid_input error and what is wrong with it.
type FieldError struct {
	Name     string   `json:"name"`
	Messages []string `json:"messages"`
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", f.Name, strings.Join(f.Messages, ", "))
	}
	fmt.Fprintf(&b, " (%s, HTTP %d", e.Code, e.StatusCode)
	if e.CorrelationID != "" {
		fmt.Fprintf(&b, ", correlation id %s", e.CorrelationID)
	}
	b.WriteString(")")
	return b.String()
}

// StatusError is an error status whose body is not an API error, for example a 502 page from a
// proxy in front of the API.
type StatusError struct {
	StatusCode  int
	ContentType string
	Body        string // the start of the body (the token masked), for the diagnostic

	Method   string
	Attempts int
	Elapsed  time.Duration
}

func (e *StatusError) Error() string {
	if e.StatusCode < 400 {
		return fmt.Sprintf("the API answered HTTP %d with %s instead of JSON: %q", e.StatusCode, e.ContentType, e.Body)
	}
	if e.Body == "" {
		return fmt.Sprintf("the API answered HTTP %d without an error body", e.StatusCode)
	}
	return fmt.Sprintf("the API answered HTTP %d without an error body: %q", e.StatusCode, e.Body)
}

// TransportError is a request that got no answer at all: the host name did not resolve, the
// connection was refused or reset, the TLS handshake failed, or nothing answered in time. It
// says where the client tried and how hard, for a diagnostic that names both.
type TransportError struct {
	Method, Path string
	Endpoint     string        // the base URL the client was configured with
	Attempts     int           // how often the request was tried
	Elapsed      time.Duration // from the first attempt to giving up
	Err          error         // the last attempt's failure
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("%s %s: no answer from %s after %d attempt(s) in %s: %v",
		e.Method, e.Path, e.Endpoint, e.Attempts, e.Elapsed.Round(time.Millisecond), e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// errOutcomeUnknown marks a request that changes state (a POST) and may or may not have been
// processed: the body was sent but no usable answer came back. It is not retried blindly,
// since a second create_image would make a second image; the caller reconciles instead.
var errOutcomeUnknown = errors.New("the request may or may not have been processed")

type outcomeUnknownError struct {
	op    string
	cause error
}

func (e *outcomeUnknownError) Error() string {
	return fmt.Sprintf("%s: %v: %v", e.op, errOutcomeUnknown, e.cause)
}

func (e *outcomeUnknownError) Unwrap() []error { return []error{errOutcomeUnknown, e.cause} }

// UnavailableCreateError is a create that the API answered with an error status (5xx) every
// time it was sent. The API can make the image and still answer so; before every new request,
// and after the last, the client looked for an image the earlier ones might have made and found
// none. Err is the last answer.
type UnavailableCreateError struct {
	Requests int
	Elapsed  time.Duration
	Err      error
}

func (e *UnavailableCreateError) Error() string {
	return fmt.Sprintf("create_image answered with an error %d time(s) in %s, and no image it might have made "+
		"was found: %v", e.Requests, e.Elapsed.Round(time.Millisecond), e.Err)
}

func (e *UnavailableCreateError) Unwrap() error { return e.Err }

// ActionError is an action that ended with status "error".
type ActionError struct {
	ActionID int64
	Command  string
	Code     string
	Message  string
}

func (e *ActionError) Error() string {
	return fmt.Sprintf("action %d (%s) failed: %s (%s)", e.ActionID, e.Command, e.Message, e.Code)
}

// IsAPIError reports whether err is an APIError with one of the given codes.
func IsAPIError(err error, codes ...string) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.Code == c {
			return true
		}
	}
	return false
}

// IsNotFound reports whether the API said the object does not exist.
func IsNotFound(err error) bool { return IsAPIError(err, CodeNotFound) }

// IsOutcomeUnknown reports whether a state-changing request may have been processed although
// no answer arrived.
func IsOutcomeUnknown(err error) bool { return errors.Is(err, errOutcomeUnknown) }

// isBusy reports an answer that says to come back later: another action holds the image or its
// server (locked), or the object changed while the request ran (conflict).
func isBusy(err error) bool { return IsAPIError(err, CodeLocked, CodeConflict) }
