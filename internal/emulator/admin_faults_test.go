package emulator

import (
	"net/http"
	"testing"
)

// adminDo sends an admin request: no token, like a harness in another process.
func (h *harness) adminDo(method, path, body string) result {
	h.t.Helper()
	return h.doWith(method, path, body, "")
}

func TestAdminFaults_stageListApplyAndClear(t *testing.T) {
	h := newHarness(t, Options{})
	created := h.adminDo("POST", "/__emulator/faults",
		`{"method":"POST","path":"/v1/servers/{id}/actions/create_image","count":2,"status":503,"code":"unavailable","when":"after"}`)
	created.wantStatus(t, http.StatusCreated)
	h.adminDo("POST", "/__emulator/faults", `{"path":"/v1/images/{id}","drop":true}`).wantStatus(t, http.StatusCreated)

	var listed struct {
		Faults []faultJSON `json:"faults"`
	}
	h.adminDo("GET", "/__emulator/faults", "").decode(t, &listed)
	if len(listed.Faults) != 2 || listed.Faults[0].When != "after" || listed.Faults[0].Count != 2 ||
		!listed.Faults[1].Drop || listed.Faults[1].When != "before" || listed.Faults[1].Count != 1 {
		t.Fatalf("listed %+v", listed.Faults)
	}

	before := len(h.emu.Images())
	h.createImageStatus(SeedServerNoBackups, 503)
	if n := len(h.emu.Images()); n != before+1 {
		t.Errorf("images %d -> %d: a fault staged \"after\" must let the create take effect", before, n)
	}
	h.adminDo("GET", "/__emulator/faults", "").decode(t, &listed)
	if len(listed.Faults) != 2 || listed.Faults[0].Count != 1 {
		t.Errorf("after one use: %+v, want the first fault with one use left", listed.Faults)
	}
	if _, err := h.send("GET", "/v1/images/1001", "", "Bearer "+testToken); err == nil {
		t.Error("the staged drop did not close the connection")
	}

	h.adminDo("DELETE", "/__emulator/faults", "").wantStatus(t, http.StatusNoContent)
	h.adminDo("GET", "/__emulator/faults", "").decode(t, &listed)
	if len(listed.Faults) != 0 {
		t.Errorf("after DELETE: %+v", listed.Faults)
	}
	h.createImageStatus(SeedServerNoBackups, 201)
	if got := h.emu.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); got != 2 {
		t.Errorf("counted %d creates; admin requests must not be counted", got)
	}
}

func TestAdminFaults_badInputNamesTheField(t *testing.T) {
	tests := []struct{ body, field string }{
		{`{"when":"later"}`, "when"},
		{`{"status":200}`, "status"},
		{`{"count":-1}`, "count"},
		{`{"method":"PATCH"}`, "method"},
		{`{"path":"/images/{id}"}`, "path"},
		{`{"delay":"soon"}`, "delay"},
		{`{"retry_after":-2}`, "retry_after"},
		{`{"drop":true,"status":503}`, "drop"},
		{`{"stauts":503}`, "stauts"},
		{`{"count":"two"}`, "count"},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			h := newHarness(t, Options{})
			e := h.adminDo("POST", "/__emulator/faults", tt.body).wantError(t, 422, "invalid_input")
			if names := e.fieldNames(t); len(names) != 1 || names[0] != tt.field {
				t.Errorf("fields %v, want [%s]; %s", names, tt.field, e.Error.Message)
			}
			if n := len(h.emu.PendingFaults()); n != 0 {
				t.Errorf("%d faults staged from bad input", n)
			}
		})
	}
	h := newHarness(t, Options{})
	h.adminDo("POST", "/__emulator/faults", `{`).wantError(t, 400, "json_error")
	h.adminDo("PUT", "/__emulator/faults", `{}`).wantError(t, 405, "method_not_allowed")
}

func TestAdminFaults_goAPIFaultsAreListedToo(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.FailNext(Fault{Method: "PUT", Status: 502, RawBody: "<html>bad gateway</html>", When: FaultAfter, Delay: 1500e6})
	var listed struct {
		Faults []faultJSON `json:"faults"`
	}
	h.adminDo("GET", "/__emulator/faults", "").decode(t, &listed)
	want := faultJSON{Method: "PUT", Count: 1, Status: 502, RawBody: "<html>bad gateway</html>", When: "after", Delay: "1.5s"}
	if len(listed.Faults) != 1 || listed.Faults[0] != want {
		t.Errorf("listed %+v, want %+v", listed.Faults, want)
	}
}

func (h *harness) createImageStatus(serverID int64, status int) {
	h.t.Helper()
	h.do("POST", "/v1/servers/"+itoa(serverID)+"/actions/create_image", `{}`).wantStatus(h.t, status)
}
