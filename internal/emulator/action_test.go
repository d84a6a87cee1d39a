package emulator

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

func TestCreateImageAction_progressesWithTheClockThenSucceeds(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: 10 * time.Second})
	c := h.createImage(SeedServerBackups, `{"description":"db"}`)

	steps := []struct {
		advance      time.Duration
		wantStatus   string
		wantProgress int
		wantImage    string
	}{
		{0, "running", 0, "creating"},
		{2500 * time.Millisecond, "running", 25, "creating"},
		{5 * time.Second, "running", 75, "creating"},
		{2499 * time.Millisecond, "running", 99, "creating"},
		{time.Millisecond, "success", 100, "available"},
		{time.Hour, "success", 100, "available"},
	}
	for _, s := range steps {
		h.clock.Advance(s.advance)
		a := h.getAction(c.Action.ID)
		img := h.getImage(c.Image.ID)
		if a.Status != s.wantStatus || a.Progress != s.wantProgress || img.Status != s.wantImage {
			t.Fatalf("after %v: action %s %d%%, image %s; want %s %d%%, %s", s.advance, a.Status, a.Progress, img.Status, s.wantStatus, s.wantProgress, s.wantImage)
		}
		if s.wantStatus == "running" && (a.Finished != nil || img.ImageSize != nil) {
			t.Fatalf("running action has finished=%v image_size=%v", a.Finished, img.ImageSize)
		}
		if s.wantStatus == "success" {
			if a.Finished == nil || !a.Finished.Equal(testEpoch.Add(10*time.Second)) || a.Error != nil {
				t.Fatalf("finished action = %+v", a)
			}
			if img.ImageSize == nil || *img.ImageSize <= 0 || *img.ImageSize > img.DiskSize {
				t.Fatalf("image_size = %v, disk_size = %v", img.ImageSize, img.DiskSize)
			}
		}
	}
}

func TestCreateImageAction_zeroDurationFinishesOnNextRead(t *testing.T) {
	h := newHarness(t, Options{})
	c := h.createImage(SeedServerNoBackups, `{}`)
	if c.Action.Status != "running" || c.Image.Status != "creating" {
		t.Fatalf("201 = %+v / %+v, want running / creating", c.Action, c.Image)
	}
	if a := h.getAction(c.Action.ID); a.Status != "success" || a.Progress != 100 {
		t.Errorf("next read = %+v", a)
	}
	if img, _ := h.emu.Image(c.Image.ID); img.Status != "available" {
		t.Errorf("image status = %s", img.Status)
	}
}

func TestCreateImageAction_injectedFailure(t *testing.T) {
	tests := []struct {
		name, code, message string
		wantCode, wantMsg   string
	}{
		{"defaultsToActionFailed", "", "", "action_failed", "action failed (injected by the emulator)"},
		{"usesInjectedCodeAndMessage", "image_create_failed", "disk read error", "image_create_failed", "disk read error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, Options{ActionDuration: time.Second})
			h.emu.FailNextAction("change_protection", "", "") // other commands are not affected
			h.emu.FailNextAction("create_image", tt.code, tt.message)
			c := h.createImage(SeedServerNoBackups, `{}`)
			h.clock.Advance(time.Second)
			a := h.getAction(c.Action.ID)
			if a.Status != "error" || a.Error == nil || a.Error.Code != tt.wantCode || a.Error.Message != tt.wantMsg || a.Finished == nil {
				t.Fatalf("action = %+v (error %+v)", a, a.Error)
			}
			if img := h.getImage(c.Image.ID); img.Status != "unavailable" {
				t.Errorf("image status = %s, want unavailable", img.Status)
			}
			h.do("DELETE", "/v1/images/"+itoa(c.Image.ID), "").wantStatus(t, 204)

			// Only the next action fails.
			c = h.createImage(SeedServerNoBackups, `{}`)
			h.clock.Advance(time.Second)
			if a := h.getAction(c.Action.ID); a.Status != "success" {
				t.Errorf("second action = %s", a.Status)
			}
		})
	}
}

func TestChangeProtection(t *testing.T) {
	tests := []struct {
		name       string
		image      int64
		body       string
		wantStatus int
		wantCode   string
		wantDelete bool
	}{
		{"enables", snapProd, `{"delete":true}`, 201, "", true},
		{"emptyBodyChangesNothing", snapProd, `{}`, 201, "", false},
		{"nullIsAbsent", snapProd, `{"delete":null}`, 201, "", false},
		{"backupIsUnsupported", backupDB, `{"delete":true}`, 422, "unsupported_error", false},
		{"systemImageIsUnsupported", SeedImageDebian12, `{"delete":true}`, 422, "unsupported_error", false},
		{"deleteMustBeBool", snapProd, `{"delete":"yes"}`, 422, "invalid_input", false},
		{"malformedJSON", snapProd, `{`, 400, "json_error", false},
		{"unknownImage", 999999, `{"delete":true}`, 404, "not_found", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := withListFixtures(t)
			res := h.do("POST", "/v1/images/"+itoa(tt.image)+"/actions/change_protection", tt.body)
			if tt.wantCode != "" {
				res.wantError(t, tt.wantStatus, tt.wantCode)
			} else {
				res.wantStatus(t, tt.wantStatus)
				var a actionResponse
				res.decode(t, &a)
				want := []ActionResource{{ID: tt.image, Type: "image"}}
				if a.Action.Command != "change_protection" || a.Action.Status != "running" || !slices.Equal(a.Action.Resources, want) {
					t.Errorf("action = %+v", a.Action)
				}
			}
			if img, ok := h.emu.Image(tt.image); ok && img.Protection.Delete != tt.wantDelete {
				t.Errorf("protection.delete = %t, want %t", img.Protection.Delete, tt.wantDelete)
			}
		})
	}
}

func TestChangeProtection_appliesAtOnceAndFinishesAfterATenth(t *testing.T) {
	h := withListFixtures(t, Options{ActionDuration: 10 * time.Second})
	res := h.do("POST", "/v1/images/2001/actions/change_protection", `{"delete":true}`)
	var a actionResponse
	res.decode(t, &a)
	if !h.getImage(2001).Protection.Delete {
		t.Error("protection not applied at once")
	}
	h.clock.Advance(999 * time.Millisecond)
	if got := h.getAction(a.Action.ID); got.Status != "running" || got.Progress != 99 {
		t.Errorf("before 1s: %+v", got)
	}
	h.clock.Advance(time.Millisecond)
	if got := h.getAction(a.Action.ID); got.Status != "success" {
		t.Errorf("after 1s: %+v", got)
	}
}

func TestChangeProtection_failedActionRevertsTheFlag(t *testing.T) {
	h := withListFixtures(t)
	h.emu.FailNextAction("change_protection", "", "")
	h.do("POST", "/v1/images/2001/actions/change_protection", `{"delete":true}`).wantStatus(t, 201)
	if img := h.getImage(2001); img.Protection.Delete {
		t.Errorf("protection = %v after a failed action", img.Protection)
	}
}

func TestActionEndpoints(t *testing.T) {
	h := withListFixtures(t, Options{ActionDuration: 10 * time.Second})
	c1 := h.createImage(SeedServerNoBackups, `{}`) // running
	prot := h.do("POST", "/v1/images/2001/actions/change_protection", `{"delete":true}`)
	var p actionResponse
	prot.decode(t, &p)
	h.clock.Advance(5 * time.Second) // protection action done, create still running
	c2 := h.createImage(SeedServerARM, `{}`)
	id1, id2, idP := c1.Action.ID, c2.Action.ID, p.Action.ID

	type list struct {
		Actions []Action                   `json:"actions"`
		Meta    *listMeta                  `json:"meta"`
		Raw     map[string]json.RawMessage `json:"-"`
	}
	ids := func(path string) ([]int64, list) {
		t.Helper()
		res := h.do("GET", path, "")
		res.wantStatus(t, http.StatusOK)
		var l list
		res.decode(t, &l)
		res.decode(t, &l.Raw)
		out := []int64{}
		for _, a := range l.Actions {
			out = append(out, a.ID)
		}
		return out, l
	}

	tests := []struct {
		name     string
		path     string
		want     []int64
		wantMeta bool
	}{
		{"actionsByID", "/v1/actions?id=" + itoa(id2) + "&id=" + itoa(id1), []int64{id1, id2}, false},
		{"actionsAsHcloudGoPolls", "/v1/actions?id=" + itoa(id1) + "&id=" + itoa(idP) + "&page=1&sort=status&sort=id", []int64{id1, idP}, false},
		{"actionsUnknownIDIsLeftOut", "/v1/actions?id=999999&id=" + itoa(idP), []int64{idP}, false},
		{"actionsStatusFilter", "/v1/actions?status=running&id=" + itoa(id1) + "&id=" + itoa(idP), []int64{id1}, false},
		{"imageActions", "/v1/images/actions", []int64{id1, idP, id2}, true},
		{"imageActionsSortedDesc", "/v1/images/actions?sort=id:desc", []int64{id2, idP, id1}, true},
		{"imageActionsByCommand", "/v1/images/actions?sort=command:desc&sort=id", []int64{id1, id2, idP}, true},
		{"imageActionsByFinished", "/v1/images/actions?sort=finished", []int64{id1, id2, idP}, true},
		{"imageActionsByStatusFilter", "/v1/images/actions?status=success", []int64{idP}, true},
		{"imageActionsByID", "/v1/images/actions?id=" + itoa(id2), []int64{id2}, true},
		{"imageActionsPaged", "/v1/images/actions?per_page=1&page=2", []int64{idP}, true},
		{"actionsOfOneImage", "/v1/images/2001/actions", []int64{idP}, true},
		{"actionsOfCreatedImage", "/v1/images/" + itoa(c2.Image.ID) + "/actions", []int64{id2}, true},
		{"actionsOfImageWithNone", "/v1/images/1001/actions", []int64{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, l := ids(tt.path)
			if !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
			if _, has := l.Raw["meta"]; has != tt.wantMeta {
				t.Errorf("meta present = %t, want %t", has, tt.wantMeta)
			}
		})
	}

	t.Run("singleActionEndpoints", func(t *testing.T) {
		for _, path := range []string{
			"/v1/actions/" + itoa(idP),
			"/v1/images/actions/" + itoa(idP),
			"/v1/images/2001/actions/" + itoa(idP),
		} {
			res := h.do("GET", path, "")
			res.wantStatus(t, 200)
			var a actionResponse
			res.decode(t, &a)
			if a.Action.ID != idP || a.Action.Status != "success" {
				t.Errorf("%s = %+v", path, a.Action)
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tc := range []struct {
			path   string
			status int
			code   string
		}{
			{"/v1/actions", 422, "invalid_input"},
			{"/v1/actions?id=abc", 422, "invalid_input"},
			{"/v1/actions?id=1&sort=progress", 422, "invalid_input"},
			{"/v1/actions?id=1&status=done", 422, "invalid_input"},
			{"/v1/actions/999999", 404, "not_found"},
			{"/v1/images/actions/999999", 404, "not_found"},
			{"/v1/images/2002/actions/" + itoa(idP), 404, "not_found"},
			{"/v1/images/999999/actions", 404, "not_found"},
			{"/v1/images/999999/actions/" + itoa(idP), 404, "not_found"},
		} {
			h.do("GET", tc.path, "").wantError(t, tc.status, tc.code)
		}
	})
}

func TestGoStateReadsFinishDueActions(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: time.Second})
	c := h.createImage(SeedServerNoBackups, `{}`)
	h.clock.Advance(time.Second)
	// No HTTP request in between: the Go reads themselves must advance.
	if img, _ := h.emu.Image(c.Image.ID); img.Status != "available" {
		t.Errorf("Image() status = %s", img.Status)
	}
	acts := h.emu.Actions()
	if len(acts) != 1 || acts[0].Status != "success" {
		t.Errorf("Actions() = %+v", acts)
	}
}
