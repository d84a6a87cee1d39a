package emulator

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

func isAdmin(r *http.Request) bool {
	return r.URL.Path == "/__emulator" || strings.HasPrefix(r.URL.Path, "/__emulator/")
}

// serveAdmin answers /__emulator/*: no auth, no rate limit, not counted, so
// that a test harness in another process can inspect the emulator without
// disturbing what it measures.
func (e *Emulator) serveAdmin(r *http.Request) reply {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	e.advance(now)
	rep := e.adminReply(r)
	for k, v := range e.bucket.header(now) {
		rep.header[k] = v
	}
	return rep
}

func (e *Emulator) adminReply(r *http.Request) reply {
	switch {
	case r.URL.Path == "/__emulator/requests" && r.Method == http.MethodGet:
		return jsonReply(http.StatusOK, struct {
			Total    int            `json:"total"`
			Requests map[string]int `json:"requests"`
		}{e.acct.total, e.acct.counts})
	case r.URL.Path == "/__emulator/requests" && r.Method == http.MethodDelete:
		e.acct = accounting{counts: map[string]int{}}
		return noContent()
	case r.URL.Path == "/__emulator/state" && r.Method == http.MethodGet:
		return jsonReply(http.StatusOK, struct {
			Servers []Server `json:"servers"`
			Images  []Image  `json:"images"`
			SSHKeys []SSHKey `json:"ssh_keys"`
			Actions []Action `json:"actions"`
			// RemovedByAPI are the images the API removed on its own (rotated or disabled
			// backups, backups of deleted servers).
			RemovedByAPI []int64 `json:"images_removed_by_api"`
			// ServerHistory maps a server id to its power history (see ServerHistory).
			ServerHistory map[int64][]string `json:"server_history"`
		}{
			byID(e.servers, (*Server).clone), byID(e.images, (*Image).clone), byID(e.sshKeys, (*SSHKey).clone),
			byID(e.actions, (*actionState).view),
			nonNilIDs(e.removedByAPI), e.history,
		})
	case r.URL.Path == "/__emulator/faults" && r.Method == http.MethodPost:
		return e.adminAddFault(r)
	case r.URL.Path == "/__emulator/faults" && r.Method == http.MethodGet:
		out := make([]faultJSON, 0, len(e.faults))
		for _, f := range e.faults {
			out = append(out, faultToJSON(f))
		}
		return jsonReply(http.StatusOK, struct {
			Faults []faultJSON `json:"faults"`
		}{out})
	case r.URL.Path == "/__emulator/faults" && r.Method == http.MethodDelete:
		e.faults = nil
		e.actionFaults = nil
		return noContent()
	case r.URL.Path == "/__emulator/requests" || r.URL.Path == "/__emulator/state" || r.URL.Path == "/__emulator/faults":
		return methodNotAllowed(r)
	}
	if id, action, ok := adminServerPath(r.URL.Path); ok {
		if r.Method != http.MethodPost {
			return methodNotAllowed(r)
		}
		return e.adminServerAction(r, id, action)
	}
	if strings.HasPrefix(r.URL.Path, "/__emulator/servers/") && r.Method == http.MethodPost {
		return e.adminSetServerPower(r)
	}
	return errorReply(notFound("no admin endpoint %s", r.URL.Path))
}

func methodNotAllowed(r *http.Request) reply {
	return errorReply(&apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "method " + r.Method + " is not allowed for " + r.URL.Path})
}

func nonNilIDs(ids []int64) []int64 {
	if ids == nil {
		return []int64{}
	}
	return ids
}

// adminSetServerPower is POST /__emulator/servers/{id} with a body such as
// {"status":"off"} or {"ignore_acpi_shutdown":true}: what SetServerPower does,
// for a harness in another process. It answers with the server.
func (e *Emulator) adminSetServerPower(r *http.Request) reply {
	id, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/__emulator/servers/"), 10, 64)
	if err != nil {
		return errorReply(notFound("no admin endpoint %s", r.URL.Path))
	}
	var body struct {
		Status             *string `json:"status"`
		IgnoreACPIShutdown *bool   `json:"ignore_acpi_shutdown"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		return errorReply(&apiError{status: http.StatusBadRequest, code: "invalid_input", message: "body: " + err.Error()})
	}
	found, err := e.setServerPowerLocked(id, body.Status, body.IgnoreACPIShutdown)
	switch {
	case !found:
		return errorReply(notFound("server with ID %d not found", id))
	case err != nil:
		return errorReply(&apiError{status: http.StatusBadRequest, code: "invalid_input", message: err.Error()})
	}
	return jsonReply(http.StatusOK, *e.servers[id])
}
