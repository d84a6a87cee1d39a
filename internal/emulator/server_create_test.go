package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

type createServerResult struct {
	Server       serverView `json:"server"`
	Action       Action     `json:"action"`
	NextActions  []Action   `json:"next_actions"`
	RootPassword *string    `json:"root_password"`
}

func (h *harness) createServer(body string) createServerResult {
	h.t.Helper()
	res := h.do("POST", "/v1/servers", body)
	res.wantStatus(h.t, http.StatusCreated)
	var c createServerResult
	res.decode(h.t, &c)
	return c
}

func (h *harness) getServer(id int64) serverView {
	h.t.Helper()
	var r serverResponse
	h.do("GET", "/v1/servers/"+itoa(id), "").decode(h.t, &r)
	return r.Server
}

func TestCreateServer_byNamesIsInitializingUntilItsActionsFinishThenRunning(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: time.Minute, PowerActionDuration: 10 * time.Second})
	c := h.createServer(`{"name":"app-1","server_type":"cx23","image":"ubuntu-24.04","location":"nbg1","labels":{"env":"prod"}}`)

	s := c.Server
	if s.Status != ServerStatusInitializing || !s.Locked || s.Name != "app-1" || s.ServerType.Name != "cx23" ||
		s.Location.Name != "nbg1" || s.Datacenter.Name != "nbg1-dc3" || s.Labels["env"] != "prod" ||
		s.Image == nil || s.Image.ID != SeedImageUbuntu2404 || s.PrimaryDiskSize != 40 || s.PublicNet.IPv4 == nil {
		t.Errorf("server = %+v", s)
	}
	if c.Action.Command != "create_server" || c.Action.Status != ActionStatusRunning ||
		!slices.Equal(c.Action.Resources, []ActionResource{{ID: s.ID, Type: "server"}}) {
		t.Errorf("action = %+v", c.Action)
	}
	if len(c.NextActions) != 1 || c.NextActions[0].Command != "start_server" || c.NextActions[0].Status != ActionStatusRunning {
		t.Errorf("next_actions = %+v", c.NextActions)
	}
	if c.RootPassword == nil || len(*c.RootPassword) != 20 {
		t.Errorf("root_password = %v, want 20 characters (no SSH keys were given)", c.RootPassword)
	}

	h.clock.Advance(time.Minute)
	if got := h.getAction(c.Action.ID); got.Status != ActionStatusSuccess {
		t.Errorf("create_server after its duration: %+v", got)
	}
	if got := h.getServer(s.ID); got.Status != ServerStatusInitializing || !got.Locked {
		t.Errorf("while start_server runs: status %s, locked %v", got.Status, got.Locked)
	}
	h.clock.Advance(10 * time.Second)
	if got := h.getServer(s.ID); got.Status != ServerStatusRunning || got.Locked {
		t.Errorf("after both actions: status %s, locked %v", got.Status, got.Locked)
	}
	if got := h.emu.ServerHistory(s.ID); !slices.Equal(got, []string{"create_server", ServerStatusRunning}) {
		t.Errorf("history = %v", got)
	}
}

func TestCreateServer_fromASnapshotByIDAsHcloudGoSendsIt(t *testing.T) {
	h := newHarness(t, Options{})
	snap := h.emu.AddImage(Image{Description: "web-1 baseline", DiskSize: 40, OSFlavor: "ubuntu", OSVersion: ptr("24.04")})
	// hcloud-go sends an image it has looked up as its id, a JSON number.
	c := h.createServer(`{"name":"web-2","server_type":"cx22","image":` + itoa(snap.ID) + `}`)
	if c.Server.Image == nil || c.Server.Image.ID != snap.ID || c.Server.Image.Type != ImageTypeSnapshot ||
		c.Server.Location.Name != DefaultLocation {
		t.Errorf("server = %+v", c.Server)
	}
	srv := h.getServer(c.Server.ID)
	if srv.Status != ServerStatusRunning || srv.Image == nil || srv.Image.ID != snap.ID {
		t.Errorf("server after its actions = %+v", srv)
	}
	// A snapshot of the new server copies what the snapshot had.
	img := h.createImage(srv.ID, `{}`).Image
	if img.OSFlavor != "ubuntu" || img.OSVersion == nil || *img.OSVersion != "24.04" || img.DiskSize != 40 {
		t.Errorf("snapshot of the restored server = %+v", img)
	}
}

func TestCreateServer_idsAsStringsAndWithoutStartingIsOff(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.createServer(`{"name":"arm-2","server_type":"45","image":"1002","datacenter":"hel1-dc2","start_after_create":false,` +
		`"public_net":{"enable_ipv4":false,"enable_ipv6":true},"ssh_keys":[],"user_data":"#cloud-config\n","automount":false}`)
	if c.Server.ServerType.Name != "cax11" || c.Server.Location.Name != "hel1" || c.Server.ServerType.Architecture != "arm" ||
		c.Server.PublicNet.IPv4 != nil || c.Server.PublicNet.IPv6 == nil || len(c.NextActions) != 0 {
		t.Errorf("created = %+v", c)
	}
	if got := h.getServer(c.Server.ID); got.Status != ServerStatusOff {
		t.Errorf("status = %s, want off", got.Status)
	}
}

func TestCreateServer_badInput(t *testing.T) {
	h := newHarness(t, Options{})
	deleted := h.emu.AddImage(Image{Deleted: ptr(testEpoch)})
	big := h.emu.AddImage(Image{DiskSize: 80})
	creating := h.emu.AddImage(Image{Status: ImageStatusCreating})
	const base = `"server_type":"cx22","image":"ubuntu-24.04"`
	tests := []struct {
		name, body string
		status     int
		code       string
		field      string // of invalid_input's details.fields; "" for no check
	}{
		{"nameMissing", `{` + base + `}`, 422, "invalid_input", "name"},
		{"nameNotAHostname", `{"name":"web_1",` + base + `}`, 422, "invalid_input", "name"},
		{"nameEndsWithADash", `{"name":"web-",` + base + `}`, 422, "invalid_input", "name"},
		{"nameNotAString", `{"name":1,` + base + `}`, 422, "invalid_input", "name"},
		{"serverTypeMissing", `{"name":"x","image":"ubuntu-24.04"}`, 422, "invalid_input", "server_type"},
		{"serverTypeUnknown", `{"name":"x","server_type":"cx99","image":"ubuntu-24.04"}`, 422, "invalid_input", "server_type"},
		{"serverTypeIDUnknown", `{"name":"x","server_type":999,"image":"ubuntu-24.04"}`, 422, "invalid_input", "server_type"},
		{"imageMissing", `{"name":"x","server_type":"cx22"}`, 422, "invalid_input", "image"},
		{"imageNameUnknown", `{"name":"x","server_type":"cx22","image":"gentoo"}`, 422, "invalid_input", "image"},
		{"imageIDUnknown", `{"name":"x","server_type":"cx22","image":999999}`, 422, "invalid_input", "image"},
		{"imageNotAnIDOrName", `{"name":"x","server_type":"cx22","image":{"id":1001}}`, 422, "invalid_input", "image"},
		{"imageOfTheOtherArchitecture", `{"name":"x","server_type":"cx22","image":1002}`, 422, "invalid_input", "image"},
		{"imageLargerThanTheDisk", `{"name":"x","server_type":"cx22","image":` + itoa(big.ID) + `}`, 422, "invalid_input", "image"},
		{"imageDeleted", `{"name":"x","server_type":"cx22","image":` + itoa(deleted.ID) + `}`, 422, "invalid_input", "image"},
		{"imageNotYetAvailable", `{"name":"x","server_type":"cx22","image":` + itoa(creating.ID) + `}`, 422, "invalid_input", "image"},
		{"locationUnknown", `{"name":"x",` + base + `,"location":"ash"}`, 422, "invalid_input", "location"},
		{"locationAndDatacenter", `{"name":"x",` + base + `,"location":"nbg1","datacenter":"nbg1-dc3"}`, 422, "invalid_input", "datacenter"},
		{"datacenterUnknown", `{"name":"x",` + base + `,"datacenter":"nbg1-dc9"}`, 422, "invalid_input", "datacenter"},
		{"labelsInvalid", `{"name":"x",` + base + `,"labels":{"-a":"b"}}`, 422, "invalid_input", "labels"},
		{"startAfterCreateNotABoolean", `{"name":"x",` + base + `,"start_after_create":"yes"}`, 422, "invalid_input", "start_after_create"},
		{"userDataTooLong", `{"name":"x",` + base + `,"user_data":"` + strings.Repeat("a", 32<<10+1) + `"}`, 422, "invalid_input", "user_data"},
		{"sshKeyUnknown", `{"name":"x",` + base + `,"ssh_keys":["mine"]}`, 422, "invalid_input", "ssh_keys"},
		{"volumeUnknown", `{"name":"x",` + base + `,"volumes":[7]}`, 422, "invalid_input", "volumes"},
		{"primaryIPUnknown", `{"name":"x",` + base + `,"public_net":{"ipv4":7}}`, 422, "invalid_input", "public_net.ipv4"},
		{"placementGroupUnknown", `{"name":"x",` + base + `,"placement_group":7}`, 422, "invalid_input", "placement_group"},
		{"notAnObject", `[1]`, 422, "invalid_input", ""},
		{"malformedJSON", `{"name":`, 400, "json_error", ""},
		{"nameInUse", `{"name":"db-1",` + base + `}`, 409, "uniqueness_error", ""},
	}
	before := len(h.emu.Servers())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := h.do("POST", "/v1/servers", tt.body).wantError(t, tt.status, tt.code)
			if tt.field != "" {
				if got := e.fieldNames(t); !slices.Equal(got, []string{tt.field}) {
					t.Errorf("details.fields = %v, want [%s]", got, tt.field)
				}
			}
			if tt.code == "uniqueness_error" && !strings.Contains(string(e.Error.Details), `"name":"name"`) {
				t.Errorf("details = %s, want the field name", e.Error.Details)
			}
		})
	}
	if got := len(h.emu.Servers()); got != before {
		t.Errorf("%d servers after refused creates, want %d", got, before)
	}
}

func TestServerTypes_listByNameAndGet(t *testing.T) {
	h := newHarness(t, Options{})
	var list struct {
		ServerTypes []ServerType `json:"server_types"`
	}
	h.do("GET", "/v1/server_types?name=cx23", "").decode(t, &list)
	if len(list.ServerTypes) != 1 || list.ServerTypes[0].Name != "cx23" || list.ServerTypes[0].Architecture != "x86" {
		t.Errorf("server_types?name=cx23 = %+v", list.ServerTypes)
	}
	h.do("GET", "/v1/server_types", "").decode(t, &list)
	if len(list.ServerTypes) != len(catalogServerTypes) {
		t.Errorf("%d server types, want %d", len(list.ServerTypes), len(catalogServerTypes))
	}
	var one struct {
		ServerType ServerType `json:"server_type"`
	}
	h.do("GET", "/v1/server_types/45", "").decode(t, &one)
	if one.ServerType.Name != "cax11" {
		t.Errorf("server_types/45 = %+v", one.ServerType)
	}
	h.do("GET", "/v1/server_types/9999", "").wantError(t, http.StatusNotFound, "not_found")
}

func TestResponsesMatchOpenAPI_createServer(t *testing.T) {
	h, rec := newValidatedHarness(t, Options{ActionDuration: time.Second})
	c := h.createServer(`{"name":"app-1","server_type":"cx23","image":"ubuntu-24.04","public_net":{"enable_ipv6":false}}`)
	steps := []struct{ method, path, body string }{
		{"POST", "/v1/servers", `{"name":"app-2","server_type":"cx22","image":1001,"start_after_create":false}`},
		{"POST", "/v1/servers", `{"name":"app-1","server_type":"cx22","image":1001}`},
		{"POST", "/v1/servers", `{"name":"x","server_type":"cx22","image":"gentoo"}`},
		{"GET", "/v1/servers/" + itoa(c.Server.ID), ""},
		{"GET", "/v1/server_types?name=cx23", ""},
		{"GET", "/v1/server_types?page=2&per_page=2", ""},
		{"GET", "/v1/server_types/114", ""},
		{"GET", "/v1/server_types/9999", ""},
		{"PUT", "/v1/servers/" + itoa(c.Server.ID), `{"name":"app-9","labels":{"a":"b"}}`},
		{"PUT", "/v1/servers/" + itoa(c.Server.ID), `{"name":"db-1"}`},
		{"POST", "/v1/servers/101/actions/change_protection", `{"delete":true,"rebuild":false}`},
		{"DELETE", "/v1/servers/101", ""},
	}
	for _, s := range steps {
		h.do(s.method, s.path, s.body)
	}
	wantValid(t, rec, len(steps)+1)
	var raw map[string]json.RawMessage
	h.do("POST", "/v1/servers", `{"name":"app-3","server_type":"cx22","image":1001}`).decode(t, &raw)
	for _, key := range []string{"server", "action", "next_actions", "root_password"} {
		if _, ok := raw[key]; !ok {
			t.Errorf("create_server response lacks %s", key)
		}
	}
}

// cx11 (id 1) is gone: deprecated everywhere, past unavailable_after, as the official provider
// reads it to print its own diagnostic; a server of it cannot be created.
func TestServerTypes_cx11IsDeprecatedAndUnavailable(t *testing.T) {
	h := newHarness(t, Options{})
	var one struct {
		ServerType ServerType `json:"server_type"`
	}
	h.do("GET", "/v1/server_types/1", "").decode(t, &one)
	st := one.ServerType
	if st.Name != "cx11" || st.Deprecated == nil || !*st.Deprecated || st.Deprecation == nil ||
		!st.Deprecation.UnavailableAfter.Before(testEpoch) || !st.Deprecation.Announced.Before(st.Deprecation.UnavailableAfter) {
		t.Fatalf("server type 1 = %+v", st)
	}
	for _, loc := range st.Locations {
		if loc.Deprecation == nil || *loc.Deprecation != *st.Deprecation {
			t.Errorf("location %s: deprecation %+v, want the type's", loc.Name, loc.Deprecation)
		}
	}
	var cx23 struct {
		ServerTypes []ServerType `json:"server_types"`
	}
	h.do("GET", "/v1/server_types?name=cx23", "").decode(t, &cx23)
	if got := cx23.ServerTypes[0]; got.Deprecation != nil || *got.Deprecated || got.Locations[0].Deprecation != nil {
		t.Errorf("cx23 is deprecated: %+v", got)
	}
	before := len(h.emu.Servers())
	for _, typ := range []string{`"cx11"`, `1`} {
		e := h.do("POST", "/v1/servers", `{"name":"old","server_type":`+typ+`,"image":"ubuntu-24.04"}`).wantError(t, 422, "invalid_server_type")
		if e.Error.Message != "server type cx11 is deprecated and can no longer be ordered" {
			t.Errorf("message %q", e.Error.Message)
		}
	}
	if got := len(h.emu.Servers()); got != before {
		t.Errorf("%d servers after refused creates, want %d", got, before)
	}
	// A datacenter supports it, but has it neither available nor for migration.
	dc := h.getServer(101).Datacenter.ServerTypes
	if !slices.Contains(dc.Supported, 1) || slices.Contains(dc.Available, 1) || slices.Contains(dc.AvailableForMigration, 1) {
		t.Errorf("datacenter server types %+v", dc)
	}
}

// Every answer of the new routes (SSH keys, change_type, reboot, reset) and the deprecated
// server type is checked against the OpenAPI description, errors included. Each step names the
// status it must get, so a step that misses its path (a 423 from a lock still held) fails.
// ADVANCE moves the clock past the running action, which frees the server.
func TestResponsesMatchOpenAPI_sshKeysResizeRebootReset(t *testing.T) {
	h, rec := newValidatedHarness(t, Options{ActionDuration: time.Second, PowerActionDuration: time.Second})
	steps := []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/v1/ssh_keys", `{"name":"ops","public_key":"` + keyOps + `","labels":{"team":"ops"}}`, 201},
		{"POST", "/v1/ssh_keys", `{"name":"ops","public_key":"` + keyCI + `"}`, 409},
		{"POST", "/v1/ssh_keys", `{"name":"bad","public_key":"ssh-foo AAAA"}`, 422},
		{"GET", "/v1/ssh_keys?name=ops&fingerprint=" + keyOpsFingerprint + "&label_selector=team&sort=name:desc&page=1&per_page=5", "", 200},
		{"GET", "/v1/ssh_keys/7001", "", 200},
		{"GET", "/v1/ssh_keys/7999", "", 404},
		{"PUT", "/v1/ssh_keys/7001", `{"name":"ops-2","labels":{}}`, 200},
		{"POST", "/v1/servers", `{"name":"app-1","server_type":"cx23","image":"ubuntu-24.04","ssh_keys":[7001]}`, 201},
		{"POST", "/v1/servers", `{"name":"app-2","server_type":"cx11","image":"ubuntu-24.04"}`, 422},
		{"DELETE", "/v1/ssh_keys/7001", "", 204},
		{"GET", "/v1/server_types/1", "", 200},
		{"GET", "/v1/server_types?name=cx11", "", 200},
		{"POST", "/v1/servers/101/actions/change_type", `{"server_type":"cx32","upgrade_disk":true}`, 422}, // running
		{"POST", "/v1/servers/101/actions/reboot", "", 201},
		{"POST", "/v1/servers/999/actions/reboot", "", 404},
		{"ADVANCE", "", "", 0},
		{"POST", "/v1/servers/101/actions/reset", "", 201},
		{"ADVANCE", "", "", 0},
		{"POST", "/v1/servers/101/actions/poweroff", "", 201},
		{"ADVANCE", "", "", 0},
		{"POST", "/v1/servers/101/actions/change_type", `{"server_type":"cx99","upgrade_disk":true}`, 422},
		{"POST", "/v1/servers/101/actions/change_type", `{"server_type":"cx11","upgrade_disk":false}`, 422},
		{"POST", "/v1/servers/101/actions/change_type", `{"server_type":"cx32","upgrade_disk":false}`, 201},
		{"GET", "/v1/servers/101", "", 200}, // migrating
		{"ADVANCE", "", "", 0},
		{"GET", "/v1/servers/101", "", 200},
		{"GET", "/v1/servers/101/actions?sort=id:desc", "", 200},
	}
	answered := 0
	for _, s := range steps {
		if s.method == "ADVANCE" {
			h.clock.Advance(time.Second)
			continue
		}
		res := h.do(s.method, s.path, s.body)
		if res.status != s.want {
			t.Errorf("%s %s %s: status %d, want %d; body %s", s.method, s.path, s.body, res.status, s.want, res.raw)
		}
		answered++
	}
	wantValid(t, rec, answered)
	if got := h.getServer(101); got.Status != ServerStatusRunning || got.ServerType.Name != "cx32" {
		t.Errorf("server 101 is %s, %s; want running, cx32", got.Status, got.ServerType.Name)
	}
}
