package emulator

import (
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/spec"
)

// TestResponsesMatchOpenAPI drives every endpoint through its success and
// error answers with the spec package's validator on the response hook. Only
// paths the spec knows are used: unknown paths and 405s have no operation.
func TestResponsesMatchOpenAPI(t *testing.T) {
	v, err := spec.Load()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	rec := v.Recorder()
	h := withListFixtures(t, Options{ActionDuration: 10 * time.Second, RateLimit: 3600, RateBurst: 1000, OnResponse: rec.Observe})
	h.emu.FailNextAction("create_image", "", "")

	failed := h.createImage(SeedServerNoBackups, `{"type":null,"description":null}`)
	backup := h.createImage(SeedServerBackups, `{"type":"backup","labels":{"env":"prod"}}`)
	steps := []struct{ method, path, body string }{
		{"GET", "/v1/images", ""},
		{"GET", "/v1/images?include_deprecated=true&per_page=2&page=2&sort=name:desc", ""},
		{"GET", "/v1/images?type=bogus", ""},
		{"GET", "/v1/images?label_selector=env+in+(", ""},
		{"GET", "/v1/images/1001", ""},
		{"GET", "/v1/images/1005", ""},
		{"GET", "/v1/images/999999", ""},
		{"GET", "/v1/images/" + itoa(backup.Image.ID), ""},
		{"PUT", "/v1/images/2001", `{"description":"d","labels":{"a":"b"}}`},
		{"PUT", "/v1/images/2003", `{"type":"snapshot"}`},
		{"PUT", "/v1/images/2001", `{"labels":{"-":"x"}}`},
		{"PUT", "/v1/images/1001", `{"description":"x"}`},
		{"POST", "/v1/images/2001/actions/change_protection", `{"delete":true}`},
		{"DELETE", "/v1/images/2001", ""},
		{"POST", "/v1/images/2003/actions/change_protection", `{"delete":true}`},
		{"POST", "/v1/servers/101/actions/create_image", `{}`},
		{"POST", "/v1/servers/103/actions/create_image", `{"type":"backup"}`},
		{"POST", "/v1/servers/999/actions/create_image", `{}`},
		{"GET", "/v1/servers", ""},
		{"GET", "/v1/servers?name=web-1&status=running&label_selector=env%3Dprod&sort=name:desc&per_page=1&page=1", ""},
		{"GET", "/v1/servers?status=asleep", ""},
		{"GET", "/v1/servers/101", ""},
		{"GET", "/v1/servers/102", ""},
		{"GET", "/v1/servers/999", ""},
		{"GET", "/v1/actions?id=" + itoa(failed.Action.ID) + "&id=" + itoa(backup.Action.ID) + "&page=1&sort=status&sort=id", ""},
		{"GET", "/v1/actions/" + itoa(failed.Action.ID), ""},
		{"GET", "/v1/images/actions?per_page=1", ""},
		{"GET", "/v1/images/actions/" + itoa(backup.Action.ID), ""},
		{"GET", "/v1/images/" + itoa(backup.Image.ID) + "/actions", ""},
		{"GET", "/v1/images/" + itoa(backup.Image.ID) + "/actions/" + itoa(backup.Action.ID), ""},
		{"ADVANCE", "", ""},
		{"GET", "/v1/actions/" + itoa(failed.Action.ID), ""},
		{"GET", "/v1/images/" + itoa(failed.Image.ID), ""},
		{"GET", "/v1/images?status=available&type=backup", ""},
		{"DELETE", "/v1/images/" + itoa(failed.Image.ID), ""},
	}
	for _, s := range steps {
		if s.method == "ADVANCE" {
			h.clock.Advance(time.Minute)
			continue
		}
		h.do(s.method, s.path, s.body)
	}
	h.doWith("GET", "/v1/images", "", "")
	h.emu.FailNext(Fault{Path: "/v1/images/{id}", Status: 503})
	h.do("GET", "/v1/images/1001", "")

	if rec.Checked() != len(steps)-1+4 { // two creates, ADVANCE is no request, two extra
		t.Errorf("validator saw %d responses, want %d", rec.Checked(), len(steps)-1+4)
	}
	for _, err := range rec.Violations() {
		t.Error(err)
	}
}

// TestResponsesMatchOpenAPI_serverRoutesAndFaultsAfter covers the backup and server routes
// and the JSON answers of faults staged after processing.
func TestResponsesMatchOpenAPI_serverRoutesAndFaultsAfter(t *testing.T) {
	h, rec := newValidatedHarness(t, Options{ActionDuration: time.Second})
	h.emu.BusyServer(103, "rebuild_server", time.Hour)
	h.emu.RunDailyBackup(SeedServerBackups)
	steps := []struct{ method, path, body string }{
		{"POST", "/v1/servers/101/actions/enable_backup", ""},
		{"POST", "/v1/servers/101/actions/enable_backup", ""}, // locked by the first
		{"POST", "/v1/servers/999/actions/enable_backup", ""},
		{"GET", "/v1/servers/101/actions?status=running&sort=id:desc&page=1&per_page=5", ""},
		{"GET", "/v1/servers/103/actions?status=bogus", ""},
		{"GET", "/v1/servers/999/actions", ""},
		{"POST", "/v1/servers/103/actions/disable_backup", ""},
		{"DELETE", "/v1/servers/103", ""},
		{"DELETE", "/v1/servers/103", ""},
	}
	for _, s := range steps {
		h.do(s.method, s.path, s.body)
	}
	h.clock.Advance(time.Hour)
	h.emu.FailNext(Fault{When: FaultAfter, Status: 500})
	h.do("POST", "/v1/servers/102/actions/disable_backup", "")
	h.emu.FailNext(Fault{When: FaultAfter, Status: 503, Code: "unavailable"})
	h.do("POST", "/v1/servers/101/actions/create_image", `{}`)
	h.emu.FailNext(Fault{Status: 429, RetryAfter: 3})
	h.do("GET", "/v1/images", "")

	wantValid(t, rec, len(steps)+3)
}

// newValidatedHarness is a harness whose every response the OpenAPI validator sees.
func newValidatedHarness(t *testing.T, opts Options) (*harness, *spec.Recorder) {
	t.Helper()
	v, err := spec.Load()
	if err != nil {
		t.Fatalf("load spec: %v", err)
	}
	rec := v.Recorder()
	opts.OnResponse = rec.Observe
	return newHarness(t, opts), rec
}

// wantValid fails unless the validator saw exactly want responses, none violating the spec.
func wantValid(t *testing.T, rec *spec.Recorder, want int) {
	t.Helper()
	if rec.Checked() != want {
		t.Errorf("validator saw %d responses, want %d", rec.Checked(), want)
	}
	for _, err := range rec.Violations() {
		t.Error(err)
	}
}
