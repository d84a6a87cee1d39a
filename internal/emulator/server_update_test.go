package emulator

import (
	"net/http"
	"testing"
)

func TestUpdateServer_nameAndLabels(t *testing.T) {
	h := newHarness(t, Options{})
	res := h.do("PUT", "/v1/servers/101", `{"name":"web-2","labels":{"env":"staging"}}`)
	res.wantStatus(t, http.StatusOK)
	var r serverResponse
	res.decode(t, &r)
	if got := h.getServer(101); r.Server.Name != "web-2" || got.Name != "web-2" || len(got.Labels) != 1 || got.Labels["env"] != "staging" {
		t.Errorf("answered %+v, then read %+v", r.Server, got)
	}
	// Keeping its own name is no conflict; an empty body changes nothing.
	h.do("PUT", "/v1/servers/101", `{"name":"web-2"}`).wantStatus(t, http.StatusOK)
	h.do("PUT", "/v1/servers/101", `{}`).wantStatus(t, http.StatusOK)
	if got := h.getServer(101); got.Name != "web-2" || got.Labels["env"] != "staging" {
		t.Errorf("after no-op updates: %+v", got)
	}

	e := h.do("PUT", "/v1/servers/101", `{"name":"db-1"}`).wantError(t, http.StatusConflict, "uniqueness_error")
	if e.Error.Message != "server name is already used" || string(e.Error.Details) != `{"fields":[{"name":"name"}]}` {
		t.Errorf("message %q, details %s", e.Error.Message, e.Error.Details)
	}
	for body, field := range map[string]string{`{"name":"web 2"}`: "name", `{"labels":{"a":"-x"}}`: "labels", `{"name":7}`: "name"} {
		if got := h.do("PUT", "/v1/servers/101", body).wantError(t, 422, "invalid_input").fieldNames(t); len(got) != 1 || got[0] != field {
			t.Errorf("%s: fields %v, want [%s]", body, got, field)
		}
	}
	h.do("PUT", "/v1/servers/999", `{}`).wantError(t, http.StatusNotFound, "not_found")
}

func TestChangeServerProtection_protectedServerIsNotDeleted(t *testing.T) {
	h := newHarness(t, Options{})
	res := h.do("POST", "/v1/servers/101/actions/change_protection", `{"delete":true,"rebuild":true}`)
	res.wantStatus(t, http.StatusCreated)
	var a actionResponse
	res.decode(t, &a)
	if a.Action.Command != "change_protection" || len(a.Action.Resources) != 1 || a.Action.Resources[0] != (ActionResource{ID: 101, Type: "server"}) {
		t.Errorf("action = %+v", a.Action)
	}
	if got := h.getServer(101).Protection; !got.Delete || !got.Rebuild {
		t.Errorf("protection = %+v", got)
	}
	h.do("DELETE", "/v1/servers/101", "").wantError(t, http.StatusLocked, "protected")

	h.do("POST", "/v1/servers/101/actions/change_protection", `{"delete":false}`).wantStatus(t, http.StatusCreated)
	if got := h.getServer(101).Protection; got.Delete || !got.Rebuild {
		t.Errorf("protection after lifting delete only = %+v", got)
	}
	h.do("DELETE", "/v1/servers/101", "").wantStatus(t, http.StatusOK)
	h.do("POST", "/v1/servers/101/actions/change_protection", `{}`).wantError(t, http.StatusNotFound, "not_found")
	h.do("POST", "/v1/servers/102/actions/change_protection", `{"delete":"no"}`).wantError(t, 422, "invalid_input")
}
