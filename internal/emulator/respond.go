package emulator

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// reply is a fully computed response. Handlers return one instead of writing,
// so that every response passes through write (and so through the hook and
// the drop logic) without exception.
type reply struct {
	status int
	header http.Header
	body   []byte
	// fromProxy marks an injected answer of something in front of the API (a load
	// balancer's HTML 502): it is not the API's, so OnResponse does not see it.
	fromProxy bool
	// delay holds the answer (or the hang-up) back, outside the mutex.
	delay time.Duration
}

// jsonReply encodes v; the values are our own types, so encoding cannot fail.
func jsonReply(status int, v any) reply {
	body, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("emulator: encode response: %v", err))
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return reply{status: status, header: h, body: body}
}

func noContent() reply {
	return reply{status: http.StatusNoContent, header: http.Header{}}
}

// apiError is an error response in the API's envelope.
type apiError struct {
	status  int
	code    string
	message string
	details any // nil is sent as null
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
		Details any    `json:"details"`
	} `json:"error"`
}

// fieldError is one entry of invalid_input's details.fields.
type fieldError struct {
	Name     string   `json:"name"`
	Messages []string `json:"messages"`
}

type fieldDetails struct {
	Fields []fieldError `json:"fields"`
}

func errorReply(err *apiError) reply {
	var b errorBody
	b.Error.Code = err.code
	b.Error.Message = err.message
	b.Error.Details = err.details
	return jsonReply(err.status, b)
}

// lookup finds an object by id, or answers not_found naming its kind.
func lookup[T any](objects map[int64]*T, kind string, id int64) (*T, *apiError) {
	o, ok := objects[id]
	if !ok {
		return nil, notFound("%s with ID %d not found", kind, id)
	}
	return o, nil
}

func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, code: "not_found", message: fmt.Sprintf(format, args...)}
}

// invalidInput names the field in the message and in details.fields, the
// shape hcloud-go decodes for invalid_input.
func invalidInput(field string, messages ...string) *apiError {
	msg := "invalid input in field '" + field + "'"
	if len(messages) > 0 {
		msg += ": " + messages[0]
	}
	return &apiError{
		status:  http.StatusUnprocessableEntity,
		code:    "invalid_input",
		message: msg,
		details: fieldDetails{Fields: []fieldError{{Name: field, Messages: messages}}},
	}
}

func unsupported(format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "unsupported_error", message: fmt.Sprintf(format, args...)}
}

// notUnique is 409 uniqueness_error naming the field in details.fields.
func notUnique(field, message string) *apiError {
	return &apiError{
		status: http.StatusConflict, code: "uniqueness_error", message: message,
		details: map[string]any{"fields": []map[string]string{{"name": field}}},
	}
}

func invalidServerType(format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: "invalid_server_type", message: fmt.Sprintf(format, args...)}
}

func locked(format string, args ...any) *apiError {
	return &apiError{status: http.StatusLocked, code: "locked", message: fmt.Sprintf(format, args...)}
}

// write is the single exit for every response: it adds the headers every
// response carries, calls the hook, then either writes or drops.
func (e *Emulator) write(w http.ResponseWriter, r *http.Request, rep reply, drop DropMode, started time.Time) {
	if drop == DropBeforeProcessing {
		holdBack(r, rep.delay)
		hangUp(w)
		e.logf("%s %s -> dropped before processing (%s)", r.Method, r.URL.RequestURI(), time.Since(started))
		return
	}
	rep.header.Set("X-Correlation-Id", correlationID())
	if e.opts.OnResponse != nil && !isAdmin(r) && !rep.fromProxy {
		e.opts.OnResponse(r, rep.status, rep.header.Clone(), rep.body)
	}
	holdBack(r, rep.delay)
	if drop == DropAfterProcessing {
		hangUp(w)
		e.logf("%s %s -> %d, dropped after processing (%s)", r.Method, r.URL.RequestURI(), rep.status, time.Since(started))
		return
	}
	for k, v := range rep.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rep.status)
	if len(rep.body) > 0 {
		_, _ = w.Write(rep.body)
	}
	e.logf("%s %s -> %d (%s)", r.Method, r.URL.RequestURI(), rep.status, time.Since(started))
}

// holdBack waits d before the answer goes out (the hook has seen it already), or until the
// client gives up waiting.
func holdBack(r *http.Request, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-r.Context().Done():
	}
}

// hangUp closes the connection without a response, as a crashed proxy or a
// network cut would. Without a Hijacker (HTTP/2), aborting the handler is the
// closest equivalent: the server resets the stream.
func hangUp(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

func correlationID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func (e *Emulator) logf(format string, args ...any) {
	if e.opts.Logger != nil {
		e.opts.Logger(fmt.Sprintf(format, args...))
	}
}
