package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCreateImage_snapshotWithNullsHasTheAPIShape(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: time.Minute})
	// hcloud-go sends type and description as null when unset.
	res := h.do("POST", "/v1/servers/101/actions/create_image", `{"type":null,"description":null}`)
	res.wantStatus(t, http.StatusCreated)

	var raw map[string]map[string]json.RawMessage
	res.decode(t, &raw)
	for key, want := range map[string]string{
		"name": "null", "image_size": "null", "bound_to": "null", "deprecated": "null", "deleted": "null",
		"status": `"creating"`, "type": `"snapshot"`, "rapid_deploy": "false", "protection": `{"delete":false}`,
		"created_from": `{"id":101,"name":"web-1"}`, "disk_size": "40", "os_flavor": `"ubuntu"`,
		"os_version": `"24.04"`, "architecture": `"x86"`, "labels": "{}", "created": `"2026-01-01T12:00:00Z"`,
		"description": `"web-1-snapshot-20260101-120000"`,
	} {
		if got := string(raw["image"][key]); got != want {
			t.Errorf("image.%s = %s, want %s", key, got, want)
		}
	}
	var c createResult
	res.decode(t, &c)
	a := c.Action
	if a.Command != "create_image" || a.Status != "running" || a.Progress != 0 || a.Finished != nil || a.Error != nil ||
		!a.Started.Equal(testEpoch) {
		t.Errorf("action = %+v", a)
	}
	wantRes := []ActionResource{{ID: 101, Type: "server"}, {ID: c.Image.ID, Type: "image"}}
	if len(a.Resources) != 2 || a.Resources[0] != wantRes[0] || a.Resources[1] != wantRes[1] {
		t.Errorf("resources = %v, want %v", a.Resources, wantRes)
	}
	if string(raw["action"]["finished"]) != "null" || string(raw["action"]["error"]) != "null" {
		t.Errorf("action = %s", raw["action"])
	}
}

func TestCreateImage(t *testing.T) {
	tests := []struct {
		name       string
		server     int64
		body       string
		wantStatus int
		wantCode   string
		check      func(t *testing.T, img Image)
	}{
		{"descriptionAndLabelsAreKept", 101, `{"type":"snapshot","description":"mine","labels":{"env":"prod"}}`, 201, "", func(t *testing.T, img Image) {
			if img.Description != "mine" || img.Labels["env"] != "prod" || img.BoundTo != nil {
				t.Errorf("image = %+v", img)
			}
		}},
		{"emptyBodyIsASnapshot", 101, ``, 201, "", func(t *testing.T, img Image) {
			if img.Type != ImageTypeSnapshot {
				t.Errorf("type = %s", img.Type)
			}
		}},
		{"backupIsBoundToItsServer", SeedServerBackups, `{"type":"backup"}`, 201, "", func(t *testing.T, img Image) {
			if img.Type != ImageTypeBackup || img.BoundTo == nil || *img.BoundTo != SeedServerBackups || img.DiskSize != 80 || img.OSFlavor != "debian" {
				t.Errorf("image = %+v", img)
			}
		}},
		{"armServerGivesArmImage", SeedServerARM, `{}`, 201, "", func(t *testing.T, img Image) {
			if img.Architecture != "arm" || img.CreatedFrom.Name != "arm-1" {
				t.Errorf("image = %+v", img)
			}
		}},
		{"backupWithoutBackupsEnabledIsUnsupported", SeedServerNoBackups, `{"type":"backup"}`, 422, "unsupported_error", nil},
		{"unknownTypeIsInvalid", 101, `{"type":"system"}`, 422, "invalid_input", nil},
		{"typeMustBeString", 101, `{"type":1}`, 422, "invalid_input", nil},
		{"invalidLabelIsInvalid", 101, `{"labels":{"a":"-x"}}`, 422, "invalid_input", nil},
		{"malformedJSONIsJSONError", 101, `{"type":`, 400, "json_error", nil},
		{"unknownServerIsNotFound", 999, `{}`, 404, "not_found", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{})
			before := len(h.emu.Images())
			res := h.do("POST", "/v1/servers/"+itoa(tt.server)+"/actions/create_image", tt.body)
			if tt.wantCode != "" {
				res.wantError(t, tt.wantStatus, tt.wantCode)
				if n := len(h.emu.Images()); n != before {
					t.Errorf("a refused create added an image: %d -> %d", before, n)
				}
				return
			}
			res.wantStatus(t, tt.wantStatus)
			var c createResult
			res.decode(t, &c)
			tt.check(t, c.Image)
		})
	}
}

func TestCreateImage_serverBusyIsLocked(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: 10 * time.Second})
	h.createImage(SeedServerNoBackups, `{}`)
	h.do("POST", "/v1/servers/101/actions/create_image", `{}`).wantError(t, 423, "locked")
	h.createImage(SeedServerARM, `{}`) // other servers are not affected
	h.clock.Advance(10 * time.Second)
	h.createImage(SeedServerNoBackups, `{}`)
}

func TestCreateImage_lockServerLocksForADuration(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.LockServer(SeedServerBackups, 30*time.Second)
	h.do("POST", "/v1/servers/102/actions/create_image", `{}`).wantError(t, 423, "locked")
	h.clock.Advance(29 * time.Second)
	h.do("POST", "/v1/servers/102/actions/create_image", `{}`).wantError(t, 423, "locked")
	h.clock.Advance(time.Second)
	h.createImage(SeedServerBackups, `{}`)
}

func TestAddServerAndAddImageAssignIDs(t *testing.T) {
	e := New(Options{NoSeed: true, Clock: func() time.Time { return testEpoch }})
	s := e.AddServer(Server{Name: "x"})
	s2 := e.AddServer(Server{ID: 500, Name: "y"})
	s3 := e.AddServer(Server{Name: "z"})
	if s.ID != firstServerID || s2.ID != 500 || s3.ID != 501 || s.Architecture != "x86" {
		t.Errorf("servers = %+v %+v %+v", s, s2, s3)
	}
	img := e.AddImage(Image{})
	if img.ID != firstImageID || img.Type != ImageTypeSnapshot || img.Status != ImageStatusAvailable || img.Labels == nil || !img.Created.Equal(testEpoch) {
		t.Errorf("image = %+v", img)
	}
	dep := testEpoch.Add(-time.Hour)
	img = e.AddImage(Image{Type: ImageTypeSystem, Deprecated: &dep})
	if img.Deprecation == nil || !img.Deprecation.UnavailableAfter.Equal(dep.AddDate(0, 3, 0)) {
		t.Errorf("deprecation = %+v", img.Deprecation)
	}
	if got := e.Images(); len(got) != 2 || got[0].ID > got[1].ID {
		t.Errorf("Images() = %+v", got)
	}
}

func TestSeed(t *testing.T) {
	e := New(Options{})
	servers := e.Servers()
	if len(servers) < 3 {
		t.Fatalf("servers = %+v", servers)
	}
	var backups, arm bool
	for _, s := range servers {
		backups = backups || s.BackupsEnabled
		arm = arm || s.Architecture == "arm"
	}
	if !backups || !arm {
		t.Errorf("seed lacks a server with backups or an arm server: %+v", servers)
	}
	kinds := map[string]int{}
	for _, img := range e.Images() {
		key := img.Type + " " + deref(img.Name) + " " + img.Architecture
		if img.Deprecated != nil {
			key += " deprecated"
		}
		kinds[key]++
	}
	for _, want := range []string{
		"system ubuntu-24.04 x86", "system ubuntu-24.04 arm", "system debian-12 x86", "system debian-12 arm",
		"system ubuntu-20.04 x86 deprecated", "app docker-ce x86",
	} {
		if kinds[want] != 1 {
			t.Errorf("seed has %d of %q; all: %v", kinds[want], want, kinds)
		}
	}
	if len(New(Options{NoSeed: true}).Images()) != 0 {
		t.Error("NoSeed still seeds images")
	}
}

// listServerIDs returns the ids of one page of GET /v1/servers?query.
func (h *harness) listServerIDs(query string) []int64 {
	h.t.Helper()
	res := h.do("GET", "/v1/servers?"+query, "")
	res.wantStatus(h.t, http.StatusOK)
	var body struct {
		Servers []struct {
			ID int64 `json:"id"`
		} `json:"servers"`
	}
	res.decode(h.t, &body)
	ids := make([]int64, len(body.Servers))
	for i, s := range body.Servers {
		ids[i] = s.ID
	}
	return ids
}

func TestListServers_filtersSortAndPages(t *testing.T) {
	h := newHarness(t, Options{Servers: 4})
	h.emu.AddServer(Server{ID: 120, Name: "off-1", Status: ServerStatusOff, Labels: map[string]string{"env": "prod"}})
	// server-1..4 are 104..107; server-n is in catalogLocations[(n-1)%3].
	tests := []struct {
		query string
		want  []int64
	}{
		{"", []int64{101, 102, 103, 104, 105, 106, 107, 120}},
		{"name=db-1", []int64{102}},
		{"name=db", []int64{}},
		{"label_selector=env%3Dprod", []int64{101, 102, 120}},
		{"label_selector=env%3Dprod,role", []int64{101, 102}},
		{"label_selector=fleet%3Dyes,number+in+(2,4)", []int64{105, 107}},
		{"label_selector=!fleet", []int64{101, 102, 103, 120}},
		{"status=off", []int64{120}},
		{"status=running&status=off&label_selector=env%3Dprod", []int64{101, 102, 120}},
		{"status=running&name=off-1", []int64{}},
		{"sort=name", []int64{103, 102, 120, 104, 105, 106, 107, 101}},
		{"sort=id:desc&per_page=3", []int64{120, 107, 106}},
		{"sort=id:desc&per_page=3&page=3", []int64{102, 101}},
		{"sort=created:desc&label_selector=fleet", []int64{107, 106, 105, 104}},
		{"per_page=5&page=2", []int64{106, 107, 120}},
	}
	for _, tc := range tests {
		if got := h.listServerIDs(tc.query); !slices.Equal(got, tc.want) {
			t.Errorf("GET /v1/servers?%s = %v, want %v", tc.query, got, tc.want)
		}
	}
	for query, field := range map[string]string{
		"status=asleep": "status", "sort=status": "sort", "label_selector=env+in+(": "label_selector", "page=0": "page",
	} {
		e := h.do("GET", "/v1/servers?"+query, "").wantError(t, http.StatusUnprocessableEntity, "invalid_input")
		if names := e.fieldNames(t); !slices.Equal(names, []string{field}) {
			t.Errorf("GET /v1/servers?%s: fields %v, want %s", query, names, field)
		}
	}
	var page struct {
		Meta listMeta `json:"meta"`
	}
	res := h.do("GET", "/v1/servers?per_page=3&page=2", "")
	res.decode(t, &page)
	if p := page.Meta.Pagination; *p.TotalEntries != 8 || *p.LastPage != 3 || *p.NextPage != 3 || *p.PreviousPage != 1 {
		t.Errorf("pagination = %+v", p)
	}
	if link := res.header.Get("Link"); !strings.Contains(link, `page=3&per_page=3>; rel="next"`) {
		t.Errorf("Link = %q", link)
	}
}

func TestGetServer_isTheCompleteObject(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: time.Minute})
	res := h.do("GET", "/v1/servers/102", "")
	res.wantStatus(t, http.StatusOK)
	var raw map[string]map[string]json.RawMessage
	res.decode(t, &raw)
	srv := raw["server"]
	for key, want := range map[string]string{
		"id": "102", "name": `"db-1"`, "status": `"running"`, "created": `"2025-01-15T09:30:00Z"`,
		"backup_window": `"22-02"`, "locked": "false", "primary_disk_size": "80", "iso": "null",
		"placement_group": "null", "private_net": "[]", "rescue_enabled": "false",
		"protection": `{"delete":true,"rebuild":false}`, "labels": `{"env":"prod","role":"db"}`,
		"outgoing_traffic": "null", "ingoing_traffic": "null", "included_traffic": "21990232555520",
	} {
		if got := string(srv[key]); got != want {
			t.Errorf("server.%s = %s, want %s", key, got, want)
		}
	}
	var s serverView
	res.decode(t, &struct {
		Server *serverView `json:"server"`
	}{&s})
	if s.ServerType.Name != "cx32" || s.ServerType.Disk != 80 || s.ServerType.Architecture != "x86" ||
		s.Location.Name != "nbg1" || s.Datacenter.Name != "nbg1-dc3" || s.Datacenter.Location != s.Location ||
		s.Image == nil || s.Image.ID != SeedImageDebian12 ||
		s.PublicNet.IPv4.IP != "198.18.0.102" || s.PublicNet.IPv6.IP != "2001:db8:0:66::/64" {
		t.Errorf("server = %+v", s)
	}

	// A running action on the server locks it, and the server says so.
	h.createImage(SeedServerNoBackups, `{}`)
	var locked struct {
		Server struct {
			Locked bool `json:"locked"`
		} `json:"server"`
	}
	h.do("GET", "/v1/servers/101", "").decode(t, &locked)
	if !locked.Server.Locked {
		t.Error("server 101 is not locked while its create_image action runs")
	}
	h.do("GET", "/v1/servers/999", "").wantError(t, http.StatusNotFound, "not_found")
}

func TestOptionsServers_seedsMoreServers(t *testing.T) {
	h := newHarness(t, Options{NoSeed: true, Servers: 60})
	if got := len(h.emu.Servers()); got != 60 {
		t.Fatalf("%d servers, want 60", got)
	}
	if ids := h.listServerIDs("name=server-60"); len(ids) != 1 {
		t.Errorf("server-60: %v", ids)
	}
	if ids := h.listServerIDs("per_page=50&page=2"); len(ids) != 10 {
		t.Errorf("second page of 50: %d servers, want 10", len(ids))
	}
}
