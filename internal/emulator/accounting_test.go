package emulator

import (
	"encoding/json"
	"maps"
	"net/http"
	"testing"
)

func TestRequestAccounting_countsByRouteTemplate(t *testing.T) {
	h := newHarness(t, Options{})
	h.do("GET", "/v1/images", "")
	h.do("GET", "/v1/images?type=system", "")
	h.do("GET", "/v1/images/1001", "")
	h.do("GET", "/v1/images/1002", "")
	h.doWith("GET", "/v1/images/1003", "", "") // 401 counts
	h.do("POST", "/v1/servers/101/actions/create_image", "{}")
	h.do("GET", "/v1/actions?id=1", "")
	h.do("GET", "/v1/nowhere", "")
	h.do("GET", "/__emulator/state", "") // admin: not counted

	want := map[string]int{
		"GET /v1/images":                             2,
		"GET /v1/images/{id}":                        3,
		"POST /v1/servers/{id}/actions/create_image": 1,
		"GET /v1/actions":                            1,
		"GET /v1/nowhere":                            1,
	}
	if got := h.emu.Requests(); !maps.Equal(got, want) {
		t.Errorf("Requests() = %v, want %v", got, want)
	}
	if got := h.emu.TotalRequests(); got != 8 {
		t.Errorf("TotalRequests() = %d, want 8", got)
	}
	if got := h.emu.RequestCount("GET", "/v1/images/{id}"); got != 3 {
		t.Errorf("RequestCount = %d", got)
	}

	res := h.doWith("GET", "/__emulator/requests", "", "")
	res.wantStatus(t, http.StatusOK)
	var admin struct {
		Total    int            `json:"total"`
		Requests map[string]int `json:"requests"`
	}
	res.decode(t, &admin)
	if admin.Total != 8 || !maps.Equal(admin.Requests, want) {
		t.Errorf("/__emulator/requests = %+v", admin)
	}

	h.doWith("DELETE", "/__emulator/requests", "", "").wantStatus(t, http.StatusNoContent)
	if got := h.emu.TotalRequests(); got != 0 {
		t.Errorf("after DELETE total = %d", got)
	}
	h.do("GET", "/v1/images", "")
	h.emu.ResetRequests()
	if got := h.emu.Requests(); len(got) != 0 {
		t.Errorf("after ResetRequests = %v", got)
	}
}

func TestAdminState(t *testing.T) {
	h := newHarness(t, Options{})
	h.createImage(SeedServerNoBackups, `{}`)
	res := h.doWith("GET", "/__emulator/state", "", "")
	res.wantStatus(t, http.StatusOK)
	var state struct {
		Servers []Server          `json:"servers"`
		Images  []json.RawMessage `json:"images"`
		Actions []Action          `json:"actions"`
	}
	res.decode(t, &state)
	if len(state.Servers) != 3 || len(state.Images) != 7 || len(state.Actions) != 1 || state.Actions[0].Status != "success" {
		t.Errorf("state = %d servers, %d images, %+v", len(state.Servers), len(state.Images), state.Actions)
	}
	h.doWith("GET", "/__emulator/other", "", "").wantError(t, http.StatusNotFound, "not_found")
	h.doWith("POST", "/__emulator/state", "", "").wantError(t, http.StatusMethodNotAllowed, "method_not_allowed")
}
