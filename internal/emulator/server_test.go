package emulator

import (
	"encoding/json"
	"net/http"
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
