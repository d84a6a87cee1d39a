package hcloud

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes of the Hetzner Cloud API that callers act on.
const (
	CodeNotFound          = "not_found"
	CodeLocked            = "locked"
	CodeProtected         = "protected"
	CodeConflict          = "conflict"
	CodeInvalidInput      = "invalid_input"
	CodeUnauthorized      = "unauthorized"
	CodeRateLimitExceeded = "rate_limit_exceeded"
	CodeUnsupported       = "unsupported_error"
	CodeForbidden         = "forbidden"
)

// APIError is an error the API answered with a JSON error body: the request reached the API and
// the API refused it. Transport failures are never an APIError.
type APIError struct {
	StatusCode    int
	Code          string
	Message       string
	Fields        []FieldError // details.fields of invalid_input errors
	CorrelationID string
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
	StatusCode int
	Body       string // the start of the body, for the diagnostic
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("the API answered HTTP %d without an error body", e.StatusCode)
	}
	return fmt.Sprintf("the API answered HTTP %d without an error body: %q", e.StatusCode, e.Body)
}

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

// IsBusy reports an answer that says to come back later: another action holds the image or its
// server (locked), or the object changed while the request ran (conflict).
func IsBusy(err error) bool { return IsAPIError(err, CodeLocked, CodeConflict) }
