package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// faultJSON is a Fault as the admin API takes and lists it, so that a harness in another
// process (or a user testing their own tooling) can stage the same faults as a Go test:
//
//	POST /__emulator/faults
//	{"method":"POST","path":"/v1/servers/{id}/actions/create_image","count":1,
//	 "status":503,"code":"unavailable","when":"after"}
type faultJSON struct {
	Method  string `json:"method,omitempty"`
	Path    string `json:"path,omitempty"` // a route template with {id}, or a concrete path
	Count   int    `json:"count"`
	Status  int    `json:"status,omitempty"`
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	// When is "before" (the default: answered without effect) or "after" (the request takes
	// effect, then the fault is answered).
	When    string `json:"when"`
	RawBody string `json:"raw_body,omitempty"` // replaces the JSON error, e.g. a proxy's HTML page
	Drop    bool   `json:"drop,omitempty"`     // close the connection instead of answering
	// RetryAfter adds a Retry-After header (seconds).
	RetryAfter int `json:"retry_after,omitempty"`
	// Delay holds the answer, as a Go duration such as "90s".
	Delay string `json:"delay,omitempty"`
}

func faultToJSON(f *Fault) faultJSON {
	out := faultJSON{
		Method: f.Method, Path: f.Path, Count: f.Count, Status: f.Status, Code: f.Code,
		Message: f.Message, When: "before", RawBody: f.RawBody, Drop: f.Drop != DropNone,
		RetryAfter: f.RetryAfter,
	}
	if f.processedFirst() {
		out.When = "after"
	}
	if f.Delay > 0 {
		out.Delay = f.Delay.String()
	}
	return out
}

// toFault checks what came over the wire; the first problem is reported naming its field.
func (j faultJSON) toFault() (Fault, *apiError) {
	f := Fault{
		Method: strings.ToUpper(j.Method), Path: j.Path, Count: j.Count, Status: j.Status,
		Code: j.Code, Message: j.Message, RawBody: j.RawBody, RetryAfter: j.RetryAfter,
	}
	switch f.Method {
	case "", http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete:
	default:
		return f, invalidInput("method", "must be GET, POST, PUT or DELETE, or left out for any method")
	}
	if f.Path != "" && !strings.HasPrefix(f.Path, "/v1/") {
		return f, invalidInput("path", "must start with /v1/, e.g. /v1/servers/{id}/actions/create_image")
	}
	if f.Count < 0 {
		return f, invalidInput("count", "must be 0 (meaning 1) or more")
	}
	if f.Status != 0 && (f.Status < 400 || f.Status > 599) {
		return f, invalidInput("status", "must be an error status from 400 to 599")
	}
	if f.RetryAfter < 0 {
		return f, invalidInput("retry_after", "must be a number of seconds, 0 or more")
	}
	switch j.When {
	case "", "before":
	case "after":
		f.When = FaultAfter
	default:
		return f, invalidInput("when", `must be "before" (answered without effect) or "after" (the request takes effect, then fails)`)
	}
	if j.Delay != "" {
		d, err := time.ParseDuration(j.Delay)
		if err != nil || d < 0 {
			return f, invalidInput("delay", `must be a duration such as "500ms" or "90s"`)
		}
		f.Delay = d
	}
	if j.Drop {
		if f.Status != 0 || f.Code != "" || f.Message != "" || f.RawBody != "" || f.RetryAfter != 0 {
			return f, invalidInput("drop", "closes the connection without an answer: leave out status, code, message, raw_body and retry_after")
		}
		f.Drop = DropBeforeProcessing
		if f.When == FaultAfter {
			f.Drop = DropAfterProcessing
		}
	}
	return f, nil
}

func (e *Emulator) adminAddFault(r *http.Request) reply {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if err != nil {
		return errorReply(&apiError{status: http.StatusBadRequest, code: "json_error", message: "reading the request body failed"})
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var j faultJSON
	if err := dec.Decode(&j); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return errorReply(invalidInput(typeErr.Field, "has the wrong type: "+typeErr.Value+" instead of "+typeErr.Type.String()))
		}
		if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
			name, _ := strconv.Unquote(field)
			return errorReply(invalidInput(name, "is not a fault field; use method, path, count, status, code, message, when, raw_body, drop, retry_after, delay"))
		}
		return errorReply(&apiError{status: http.StatusBadRequest, code: "json_error", message: "request body is not a JSON fault: " + err.Error()})
	}
	f, apiErr := j.toFault()
	if apiErr != nil {
		return errorReply(apiErr)
	}
	if f.Count <= 0 {
		f.Count = 1
	}
	e.faults = append(e.faults, &f)
	return jsonReply(http.StatusCreated, struct {
		Fault faultJSON `json:"fault"`
	}{faultToJSON(&f)})
}

// adminServerPath parses /__emulator/servers/{id}/{action}.
func adminServerPath(path string) (int64, string, bool) {
	rest, ok := strings.CutPrefix(path, "/__emulator/servers/")
	if !ok {
		return 0, "", false
	}
	idText, action, ok := strings.Cut(rest, "/")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 || (action != "busy" && action != "daily_backup") {
		return 0, "", false
	}
	return id, action, true
}

// adminServerAction serves the server's own long actions:
//
//	POST /__emulator/servers/{id}/busy          {"command":"rebuild_server","duration":"10m"}
//	POST /__emulator/servers/{id}/daily_backup  (its automatic backup, now)
func (e *Emulator) adminServerAction(r *http.Request, id int64, action string) reply {
	s, apiErr := e.lookupServer(id)
	if apiErr != nil {
		return errorReply(apiErr)
	}
	now := e.clock()
	if action == "daily_backup" {
		if !s.BackupsEnabled {
			return errorReply(unsupported("server %d does not have backups enabled", id))
		}
		img, a := e.startBackup(s, now, e.backupDuration())
		return jsonReply(http.StatusCreated, createImageResponse{img.clone(), a.view()})
	}
	var body struct {
		Command  string `json:"command"`
		Duration string `json:"duration"`
	}
	data, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &body); err != nil {
			return errorReply(&apiError{status: http.StatusBadRequest, code: "json_error", message: "request body is not valid JSON"})
		}
	}
	if body.Command == "" {
		body.Command = "rebuild_server"
	}
	d := 10 * time.Minute
	if body.Duration != "" {
		var err error
		if d, err = time.ParseDuration(body.Duration); err != nil || d <= 0 {
			return errorReply(invalidInput("duration", fmt.Sprintf("%q is not a positive duration such as \"10m\"", body.Duration)))
		}
	}
	a := e.startAction(body.Command, now, d, []ActionResource{{ID: id, Type: "server"}})
	return jsonReply(http.StatusCreated, actionResponse{a.view()})
}
