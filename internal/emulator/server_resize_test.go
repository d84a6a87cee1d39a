package emulator

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func (h *harness) changeType(serverID int64, body string) Action {
	h.t.Helper()
	res := h.do("POST", "/v1/servers/"+itoa(serverID)+"/actions/change_type", body)
	res.wantStatus(h.t, http.StatusCreated)
	var a actionResponse
	res.decode(h.t, &a)
	return a.Action
}

// The official provider's resize: poweroff, change_type, and the API starts the server again.
// Up with the disk kept, down again, up with the disk grown; then down is refused.
func TestChangeType_upAndDownWithAndWithoutTheDisk(t *testing.T) {
	h := newPowerHarness(t)
	h.power(101, "poweroff")
	h.clock.Advance(10 * time.Second)

	a := h.changeType(101, `{"server_type":"cx32","upgrade_disk":false}`)
	if a.Command != "change_server_type" || a.Status != ActionStatusRunning || a.Resources[0] != (ActionResource{ID: 101, Type: "server"}) {
		t.Errorf("action %+v", a)
	}
	// While the disk is copied the server is migrating and locked, and its progress rises.
	if got := h.getServer(101); got.Status != ServerStatusMigrating || !got.Locked || got.ServerType.Name != "cx22" {
		t.Errorf("during the resize: %s, locked %t, type %s", got.Status, got.Locked, got.ServerType.Name)
	}
	h.do("POST", "/v1/servers/101/actions/poweron", "").wantError(t, http.StatusLocked, "locked")
	h.clock.Advance(30 * time.Second)
	if p := h.getAction(a.ID).Progress; p <= 0 || p >= 100 {
		t.Errorf("progress half way = %d", p)
	}
	h.clock.Advance(30 * time.Second)
	done := h.getAction(a.ID)
	if done.Status != ActionStatusSuccess || done.Progress != 100 || done.Finished == nil || !done.Finished.Equal(testEpoch.Add(70*time.Second)) {
		t.Errorf("finished action %+v", done)
	}
	if got := h.getServer(101); got.Status != ServerStatusRunning || got.Locked || got.ServerType.Name != "cx32" || got.PrimaryDiskSize != 40 {
		t.Errorf("after the resize with the disk kept: %s, locked %t, type %s, disk %d", got.Status, got.Locked, got.ServerType.Name, got.PrimaryDiskSize)
	}

	// The disk was kept, so the smaller type fits; the id of a type works as its name does.
	h.power(101, "poweroff")
	h.clock.Advance(10 * time.Second)
	h.changeType(101, `{"server_type":104,"upgrade_disk":true}`)
	h.clock.Advance(time.Minute)
	if got := h.getServer(101); got.ServerType.Name != "cx22" || got.PrimaryDiskSize != 40 {
		t.Errorf("after down: type %s, disk %d", got.ServerType.Name, got.PrimaryDiskSize)
	}

	h.power(101, "poweroff")
	h.clock.Advance(10 * time.Second)
	h.changeType(101, `{"server_type":"cx32","upgrade_disk":true}`)
	h.clock.Advance(time.Minute)
	if got := h.getServer(101); got.ServerType.Name != "cx32" || got.PrimaryDiskSize != 80 {
		t.Errorf("after up with the disk: type %s, disk %d", got.ServerType.Name, got.PrimaryDiskSize)
	}
	h.power(101, "poweroff")
	h.clock.Advance(10 * time.Second)
	e := h.do("POST", "/v1/servers/101/actions/change_type", `{"server_type":"cx22","upgrade_disk":false}`).wantError(t, 422, "invalid_server_type")
	if !strings.Contains(e.Error.Message, "smaller than the 80 GB") {
		t.Errorf("message %q", e.Error.Message)
	}

	h.wantHistory(101, "stop_server", "stopping", "off", "change_server_type (cx22 to cx32)", "migrating", "running",
		"stop_server", "stopping", "off", "change_server_type (cx32 to cx22)", "migrating", "running",
		"stop_server", "stopping", "off", "change_server_type (cx22 to cx32)", "migrating", "running",
		"stop_server", "stopping", "off")
}

func TestChangeType_badInput(t *testing.T) {
	h := newPowerHarness(t)
	// Running: the API wants the server stopped.
	e := h.do("POST", "/v1/servers/101/actions/change_type", `{"server_type":"cx32","upgrade_disk":true}`).wantError(t, 422, "server_not_stopped")
	if e.Error.Message != "server 101 must be stopped before changing its type (it is running)" {
		t.Errorf("message %q", e.Error.Message)
	}
	h.do("POST", "/v1/servers/999/actions/change_type", `{"server_type":"cx32","upgrade_disk":true}`).wantError(t, http.StatusNotFound, "not_found")

	h.power(101, "poweroff")
	h.do("POST", "/v1/servers/101/actions/change_type", `{"server_type":"cx32","upgrade_disk":true}`).wantError(t, http.StatusLocked, "locked")
	h.clock.Advance(10 * time.Second)
	for _, c := range []struct{ body, field, message string }{
		{`{"server_type":"cx99","upgrade_disk":true}`, "server_type", `server_type "cx99" not found`},
		{`{"server_type":999,"upgrade_disk":true}`, "server_type", "server_type 999 not found"},
		{`{"upgrade_disk":true}`, "server_type", "is required"},
		{`{"server_type":true,"upgrade_disk":true}`, "server_type", "must be an ID or a name"},
		{`{"server_type":"cx32"}`, "upgrade_disk", "is required"},
		{`{"server_type":"cx32","upgrade_disk":"yes"}`, "upgrade_disk", "must be a boolean"},
	} {
		e := h.do("POST", "/v1/servers/101/actions/change_type", c.body).wantError(t, 422, "invalid_input")
		if got := e.fieldNames(t); len(got) != 1 || got[0] != c.field {
			t.Errorf("%s: fields %v", c.body, got)
		}
		if want := "invalid input in field '" + c.field + "': " + c.message; e.Error.Message != want {
			t.Errorf("%s: message %q, want %q", c.body, e.Error.Message, want)
		}
	}
	for body, message := range map[string]string{
		`{"server_type":"cx11","upgrade_disk":false}`: "server type cx11 is deprecated and no longer available",
		`{"server_type":"cax21","upgrade_disk":true}`: "server type cax21 is arm, server 101 is x86",
	} {
		e := h.do("POST", "/v1/servers/101/actions/change_type", body).wantError(t, 422, "invalid_server_type")
		if e.Error.Message != message {
			t.Errorf("%s: message %q, want %q", body, e.Error.Message, message)
		}
	}
	h.do("POST", "/v1/servers/101/actions/change_type", `{"server_type":`).wantError(t, http.StatusBadRequest, "json_error")
	if got := h.getServer(101); got.ServerType.Name != "cx22" || got.Status != ServerStatusOff {
		t.Errorf("bad input changed the server: %s, %s", got.ServerType.Name, got.Status)
	}
}

// A failed resize leaves the server off with its old type.
func TestChangeType_failedActionLeavesTheServerOffAsItWas(t *testing.T) {
	h := newPowerHarness(t)
	off := ServerStatusOff
	if _, err := h.emu.SetServerPower(101, &off, nil); err != nil {
		t.Fatal(err)
	}
	h.emu.FailNextAction("change_server_type", "server_error", "the disk could not be copied")
	a := h.changeType(101, `{"server_type":"cx32","upgrade_disk":true}`)
	h.clock.Advance(time.Minute)
	if got := h.getAction(a.ID); got.Status != ActionStatusError || got.Error == nil || got.Error.Code != "server_error" {
		t.Errorf("action %+v", got)
	}
	if got := h.getServer(101); got.Status != ServerStatusOff || got.ServerType.Name != "cx22" || got.PrimaryDiskSize != 40 {
		t.Errorf("after the failure: %s, %s, %d GB", got.Status, got.ServerType.Name, got.PrimaryDiskSize)
	}
}

// reboot and reset, as the official provider's actions send them.
func TestRebootAndReset(t *testing.T) {
	h := newPowerHarness(t)
	a := h.power(101, "reboot")
	if a.Command != "reboot_server" || a.Status != ActionStatusRunning {
		t.Errorf("reboot action %+v", a)
	}
	if h.serverStatus(101) != ServerStatusRunning || !h.getServer(101).Locked {
		t.Errorf("a rebooting server is %s, locked %t; want running and locked", h.serverStatus(101), h.getServer(101).Locked)
	}
	h.do("POST", "/v1/servers/101/actions/reset", "").wantError(t, http.StatusLocked, "locked")
	h.clock.Advance(10 * time.Second)
	if got := h.getAction(a.ID); got.Status != ActionStatusSuccess {
		t.Errorf("reboot after 10s: %+v", got)
	}
	r := h.power(101, "reset")
	if r.Command != "reset_server" {
		t.Errorf("reset action %+v", r)
	}
	h.clock.Advance(10 * time.Second)
	// A reset starts a server that is off.
	h.power(101, "poweroff")
	h.clock.Advance(10 * time.Second)
	h.power(101, "reset")
	if h.serverStatus(101) != ServerStatusStarting {
		t.Errorf("resetting an off server: %s, want starting", h.serverStatus(101))
	}
	h.clock.Advance(10 * time.Second)
	h.wantHistory(101, "reboot_server", "reset_server", "stop_server", "stopping", "off", "reset_server", "starting", "running")
	for _, action := range []string{"reboot", "reset"} {
		h.do("POST", "/v1/servers/999/actions/"+action, "").wantError(t, http.StatusNotFound, "not_found")
	}
}
