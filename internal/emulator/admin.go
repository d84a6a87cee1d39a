package emulator

import (
	"net/http"
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
			Actions []Action `json:"actions"`
		}{e.serversLocked(), e.imagesLocked(), e.actionsLocked()})
	case r.URL.Path == "/__emulator/requests" || r.URL.Path == "/__emulator/state":
		return errorReply(&apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "method " + r.Method + " is not allowed for " + r.URL.Path})
	default:
		return errorReply(notFound("no admin endpoint %s", r.URL.Path))
	}
}
