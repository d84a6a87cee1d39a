package emulator

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/spec"
)

// newPowerHarness checks every response against the spec: power actions take
// 10s, an operating system takes 30s to shut down after the ACPI request.
func newPowerHarness(t *testing.T) *harness {
	t.Helper()
	v, err := spec.Load()
	if err != nil {
		t.Fatal(err)
	}
	rec := v.Recorder()
	t.Cleanup(func() {
		if rec.Checked() == 0 {
			t.Error("the spec validator saw no response")
		}
		for _, err := range rec.Violations() {
			t.Error(err)
		}
	})
	return newHarness(t, Options{
		ActionDuration: time.Minute, PowerActionDuration: 10 * time.Second, ShutdownDuration: 30 * time.Second,
		OnResponse: rec.Observe,
	})
}

func (h *harness) power(serverID int64, action string) Action {
	h.t.Helper()
	res := h.do("POST", "/v1/servers/"+itoa(serverID)+"/actions/"+action, "")
	res.wantStatus(h.t, http.StatusCreated)
	var a actionResponse
	res.decode(h.t, &a)
	return a.Action
}

func (h *harness) serverStatus(id int64) string {
	h.t.Helper()
	for _, s := range h.emu.Servers() {
		if s.ID == id {
			return s.Status
		}
	}
	h.t.Fatalf("no server %d", id)
	return ""
}

func (h *harness) wantHistory(id int64, want ...string) {
	h.t.Helper()
	if got := h.emu.ServerHistory(id); !slices.Equal(got, want) {
		h.t.Errorf("history of server %d:\n got %v\nwant %v", id, got, want)
	}
}

func TestPower_consistentSnapshotSequence(t *testing.T) {
	h := newPowerHarness(t)
	const srv = SeedServerNoBackups
	if got := h.serverStatus(srv); got != ServerStatusRunning {
		t.Fatalf("a new server is %q, want running", got)
	}

	a := h.power(srv, "shutdown")
	if a.Command != "shutdown_server" || a.Status != ActionStatusRunning || !slices.Equal(a.Resources, []ActionResource{{ID: srv, Type: "server"}}) {
		t.Errorf("shutdown action = %+v", a)
	}
	if got := h.serverStatus(srv); got != ServerStatusStopping {
		t.Errorf("status right after the shutdown request = %q, want stopping", got)
	}
	// The server is busy while the action runs.
	h.do("POST", "/v1/servers/101/actions/create_image", "").wantError(t, http.StatusLocked, "locked")

	// The action only says the request was delivered: it succeeds while the
	// operating system is still shutting down.
	h.clock.Advance(10 * time.Second)
	if got := h.getAction(a.ID); got.Status != ActionStatusSuccess {
		t.Errorf("shutdown action after 10s = %+v", got)
	}
	if got := h.serverStatus(srv); got != ServerStatusStopping {
		t.Errorf("status after the action, before the OS is done = %q, want stopping", got)
	}
	h.clock.Advance(20 * time.Second)
	if got := h.serverStatus(srv); got != ServerStatusOff {
		t.Fatalf("status 30s after the request = %q, want off", got)
	}

	c := h.createImage(srv, "")
	h.clock.Advance(time.Minute)
	if img := h.getImage(c.Image.ID); img.Status != ImageStatusAvailable {
		t.Errorf("image = %+v", img)
	}
	if got := h.serverStatus(srv); got != ServerStatusOff {
		t.Errorf("create_image changed the status to %q", got)
	}

	on := h.power(srv, "poweron")
	if on.Command != "start_server" || h.serverStatus(srv) != ServerStatusStarting {
		t.Errorf("poweron: action %+v, status %q", on, h.serverStatus(srv))
	}
	h.clock.Advance(10 * time.Second)
	if got := h.getAction(on.ID); got.Status != ActionStatusSuccess || h.serverStatus(srv) != ServerStatusRunning {
		t.Errorf("poweron after 10s: action %+v, status %q", got, h.serverStatus(srv))
	}
	h.wantHistory(srv, "shutdown_server", "stopping", "off", "create_image (off)", "start_server", "starting", "running")
}

func TestPower_createImageWorksOnRunningAndOffServers(t *testing.T) {
	h := newPowerHarness(t)
	h.createImage(SeedServerNoBackups, "")
	h.emu.AddServer(Server{ID: 200, Name: "off-1", DiskSize: 20, Status: ServerStatusOff})
	h.createImage(200, "")
	h.wantHistory(SeedServerNoBackups, "create_image (running)")
	h.wantHistory(200, "create_image (off)")
}

func TestPower_ignoredACPIShutdownLeavesTheServerRunningUntilPoweroff(t *testing.T) {
	h := newPowerHarness(t)
	const srv = SeedServerNoBackups
	if found, err := h.emu.SetServerPower(srv, nil, ptr(true)); !found || err != nil {
		t.Fatalf("SetServerPower: %v, %v", found, err)
	}
	a := h.power(srv, "shutdown")
	h.clock.Advance(time.Hour)
	if got := h.getAction(a.ID); got.Status != ActionStatusSuccess {
		t.Errorf("the shutdown action reports delivery, want success: %+v", got)
	}
	if got := h.serverStatus(srv); got != ServerStatusRunning {
		t.Fatalf("an OS that ignores ACPI is %q an hour later, want running", got)
	}

	off := h.power(srv, "poweroff")
	if off.Command != "stop_server" || h.serverStatus(srv) != ServerStatusStopping {
		t.Errorf("poweroff: action %+v, status %q", off, h.serverStatus(srv))
	}
	h.clock.Advance(10 * time.Second)
	if got := h.serverStatus(srv); got != ServerStatusOff {
		t.Errorf("status after poweroff = %q, want off", got)
	}
	h.wantHistory(srv, "shutdown_server", "stop_server", "stopping", "off")
}

func TestPower_actionsOnAServerAlreadyThereChangeNothing(t *testing.T) {
	h := newPowerHarness(t)
	h.emu.AddServer(Server{ID: 200, Name: "off-1", Status: ServerStatusOff})
	h.power(200, "shutdown")
	h.clock.Advance(time.Minute)
	h.power(200, "poweroff")
	h.clock.Advance(time.Minute)
	if got := h.serverStatus(200); got != ServerStatusOff {
		t.Errorf("off server after shutdown and poweroff = %q", got)
	}
	h.power(SeedServerNoBackups, "poweron")
	if got := h.serverStatus(SeedServerNoBackups); got != ServerStatusRunning {
		t.Errorf("running server after poweron = %q", got)
	}
	h.wantHistory(200, "shutdown_server", "stop_server")
	h.wantHistory(SeedServerNoBackups, "start_server")
}

func TestPower_poweronEndsAShutdownInProgress(t *testing.T) {
	h := newPowerHarness(t)
	const srv = SeedServerNoBackups
	h.power(srv, "shutdown")
	h.clock.Advance(10 * time.Second)
	h.power(srv, "poweron")
	h.clock.Advance(time.Hour)
	if got := h.serverStatus(srv); got != ServerStatusRunning {
		t.Errorf("status = %q, want running", got)
	}
	h.wantHistory(srv, "shutdown_server", "stopping", "start_server", "starting", "running")
}

func TestPower_failedPoweronLeavesTheServerOff(t *testing.T) {
	h := newPowerHarness(t)
	h.emu.AddServer(Server{ID: 200, Name: "off-1", Status: ServerStatusOff})
	h.emu.FailNextAction("start_server", "", "")
	a := h.power(200, "poweron")
	h.clock.Advance(10 * time.Second)
	if got := h.getAction(a.ID); got.Status != ActionStatusError {
		t.Errorf("action = %+v", got)
	}
	if got := h.serverStatus(200); got != ServerStatusOff {
		t.Errorf("status = %q, want off", got)
	}
	h.wantHistory(200, "start_server", "starting", "off")
}

func TestPower_errors(t *testing.T) {
	h := newPowerHarness(t)
	for _, action := range []string{"shutdown", "poweroff", "poweron"} {
		h.do("POST", "/v1/servers/999/actions/"+action, "").wantError(t, http.StatusNotFound, "not_found")
	}
	h.createImage(SeedServerNoBackups, "")
	for _, action := range []string{"shutdown", "poweroff", "poweron"} {
		h.do("POST", "/v1/servers/101/actions/"+action, "").wantError(t, http.StatusLocked, "locked")
	}
	if got := h.serverStatus(SeedServerNoBackups); got != ServerStatusRunning {
		t.Errorf("status after refused actions = %q", got)
	}
}

func TestAdmin_setsServerPower(t *testing.T) {
	h := newHarness(t, Options{})
	res := h.doWith("POST", "/__emulator/servers/101", `{"status":"off","ignore_acpi_shutdown":true}`, "")
	res.wantStatus(t, http.StatusOK)
	var s Server
	res.decode(t, &s)
	if s.ID != 101 || s.Status != ServerStatusOff || !s.IgnoreACPIShutdown {
		t.Errorf("server = %+v", s)
	}
	h.doWith("POST", "/__emulator/servers/101", `{"status":"stopping"}`, "").wantError(t, http.StatusBadRequest, "invalid_input")
	h.doWith("POST", "/__emulator/servers/101", `{"ignore_acpi":true}`, "").wantError(t, http.StatusBadRequest, "invalid_input")
	h.doWith("POST", "/__emulator/servers/999", `{"status":"off"}`, "").wantError(t, http.StatusNotFound, "not_found")

	state := h.doWith("GET", "/__emulator/state", "", "")
	if !strings.Contains(string(state.raw), `"server_history":{"101":["off"]}`) {
		t.Errorf("state = %s", state.raw)
	}
	if h.emu.TotalRequests() != 0 {
		t.Errorf("admin requests were counted: %d", h.emu.TotalRequests())
	}
}
