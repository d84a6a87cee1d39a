package emulator

import (
	"net/http"
	"slices"
	"testing"
	"time"
)

// backupIDs lists the backups bound to a server, by id.
func backupIDs(e *Emulator, serverID int64) []int64 {
	var ids []int64
	for _, img := range e.ImagesOfType(ImageTypeBackup) {
		if img.BoundTo != nil && *img.BoundTo == serverID {
			ids = append(ids, img.ID)
		}
	}
	return ids
}

func TestDailyBackups_inTheWindowIntoSevenSlots(t *testing.T) {
	// testEpoch is 12:00 UTC; db-1 (102) gets the window 22-02.
	h := newHarness(t, Options{DailyBackups: true, BackupDuration: 10 * time.Minute})
	if w := serverByID(h.emu, SeedServerBackups).BackupWindow; w != "22-02" {
		t.Fatalf("backup window %q, want 22-02", w)
	}
	h.clock.Advance(9*time.Hour + 59*time.Minute)
	if got := backupIDs(h.emu, SeedServerBackups); len(got) != 0 {
		t.Fatalf("backups before the window opened: %v", got)
	}
	h.clock.Advance(2 * time.Minute) // 22:01
	first := backupIDs(h.emu, SeedServerBackups)
	if len(first) != 1 {
		t.Fatalf("backups after the window opened: %v, want one", first)
	}
	img := h.getImage(first[0])
	if img.Status != ImageStatusCreating || img.BoundTo == nil || *img.BoundTo != SeedServerBackups ||
		len(img.Labels) != 0 || !img.Created.Equal(testEpoch.Add(10*time.Hour)) {
		t.Errorf("automatic backup %+v", img)
	}
	// The backup holds the server for its duration: a lasting lock.
	h.do("POST", "/v1/servers/102/actions/create_image", `{}`).wantError(t, http.StatusLocked, "locked")
	h.clock.Advance(10 * time.Minute)
	if img := h.getImage(first[0]); img.Status != ImageStatusAvailable {
		t.Errorf("status %s after the backup's duration", img.Status)
	}
	h.createImageStatus(SeedServerBackups, http.StatusCreated)

	// Nine more days: ten backups were taken, seven are kept, the oldest went first.
	for range 9 {
		h.clock.Advance(24 * time.Hour)
		h.emu.Images()
	}
	kept := backupIDs(h.emu, SeedServerBackups)
	if len(kept) != 7 || slices.Contains(kept, first[0]) {
		t.Errorf("kept %v: want seven, without the first", kept)
	}
	removed := h.emu.ImagesRemovedByAPI()
	if len(removed) != 3 || removed[0] != first[0] {
		t.Errorf("removed by the API: %v, want three starting with %d", removed, first[0])
	}
	if got := backupIDs(h.emu, SeedServerNoBackups); len(got) != 0 {
		t.Errorf("a server without backups got %v", got)
	}
}

func TestDailyBackups_afterALongJumpOnlyTheLastWeek(t *testing.T) {
	h := newHarness(t, Options{DailyBackups: true, BackupDuration: time.Minute})
	h.clock.Advance(30 * 24 * time.Hour)
	if got := backupIDs(h.emu, SeedServerBackups); len(got) != 7 {
		t.Errorf("backups after 30 days at once: %v, want seven", got)
	}
	if removed := h.emu.ImagesRemovedByAPI(); len(removed) != 0 {
		t.Errorf("backups made only to be dropped: %v", removed)
	}
}

func TestDailyBackups_offByDefault(t *testing.T) {
	h := newHarness(t, Options{})
	h.clock.Advance(3 * 24 * time.Hour)
	if got := backupIDs(h.emu, SeedServerBackups); len(got) != 0 {
		t.Errorf("backups without Options.DailyBackups: %v", got)
	}
}

func TestBackups_manualBackupTakesASlotToo(t *testing.T) {
	h := newHarness(t, Options{})
	for range 7 {
		if _, _, ok := h.emu.RunDailyBackup(SeedServerBackups); !ok {
			t.Fatal("RunDailyBackup refused a server with backups")
		}
		h.clock.Advance(time.Hour) // the backup ends and frees the server
	}
	oldest := backupIDs(h.emu, SeedServerBackups)[0]
	made := h.createImage(SeedServerBackups, `{"type":"backup","labels":{"mine":"yes"}}`)
	kept := backupIDs(h.emu, SeedServerBackups)
	if len(kept) != 7 || slices.Contains(kept, oldest) || !slices.Contains(kept, made.Image.ID) {
		t.Errorf("kept %v after a manual backup; want seven with %d and without %d", kept, made.Image.ID, oldest)
	}
	if _, _, ok := h.emu.RunDailyBackup(SeedServerNoBackups); ok {
		t.Error("RunDailyBackup on a server without backups")
	}
}

func TestBackups_enableAndDisable(t *testing.T) {
	h := withListFixtures(t, Options{ActionDuration: time.Second})
	res := h.do("POST", "/v1/servers/101/actions/enable_backup", "")
	res.wantStatus(t, http.StatusCreated)
	var a actionResponse
	res.decode(t, &a)
	if a.Action.Command != "enable_backup" || a.Action.Resources[0] != (ActionResource{ID: 101, Type: "server"}) {
		t.Errorf("action %+v", a.Action)
	}
	if s := serverByID(h.emu, 101); !s.BackupsEnabled || s.BackupWindow == "" {
		t.Errorf("server after enable_backup: %+v", s)
	}
	h.clock.Advance(time.Second)
	backup := h.createImage(101, `{"type":"backup"}`)
	snapshot := h.createImage(102, `{}`)
	h.clock.Advance(time.Second)

	h.do("POST", "/v1/servers/102/actions/disable_backup", "").wantStatus(t, http.StatusCreated)
	if got := backupIDs(h.emu, 102); len(got) != 0 {
		t.Errorf("backups left after disable_backup: %v", got)
	}
	if _, ok := h.emu.Image(snapshot.Image.ID); !ok {
		t.Error("disable_backup removed a snapshot")
	}
	if _, ok := h.emu.Image(backup.Image.ID); !ok {
		t.Error("disable_backup on 102 removed a backup of 101")
	}
	if s := serverByID(h.emu, 102); s.BackupsEnabled || s.BackupWindow != "" {
		t.Errorf("server after disable_backup: %+v", s)
	}
	h.clock.Advance(time.Second)
	h.do("POST", "/v1/servers/102/actions/create_image", `{"type":"backup"}`).wantError(t, 422, "unsupported_error")
	h.do("POST", "/v1/servers/999/actions/enable_backup", "").wantError(t, 404, "not_found")
}

func TestDeleteServer_takesItsBackupsNotItsSnapshots(t *testing.T) {
	h := withListFixtures(t, Options{ActionDuration: time.Second})
	snapshot := h.createImage(102, `{}`)
	h.clock.Advance(time.Second)
	// db-1 is protected: lifted first.
	h.do("DELETE", "/v1/servers/102", "").wantError(t, http.StatusLocked, "protected")
	h.do("POST", "/v1/servers/102/actions/change_protection", `{"delete":false}`).wantStatus(t, http.StatusCreated)
	res := h.do("DELETE", "/v1/servers/102", "")
	res.wantStatus(t, http.StatusOK)
	var a actionResponse
	res.decode(t, &a)
	if a.Action.Command != "delete_server" {
		t.Errorf("action %+v", a.Action)
	}
	if got := backupIDs(h.emu, 102); len(got) != 0 {
		t.Errorf("backups of a deleted server: %v", got)
	}
	img, ok := h.emu.Image(snapshot.Image.ID)
	if !ok || img.CreatedFrom == nil || img.CreatedFrom.ID != 102 {
		t.Errorf("the snapshot of a deleted server: %+v %v", img, ok)
	}
	if removed := h.emu.ImagesRemovedByAPI(); !slices.Equal(removed, []int64{backupDB}) {
		t.Errorf("removed by the API: %v, want [%d]", removed, backupDB)
	}
	h.do("DELETE", "/v1/servers/102", "").wantError(t, 404, "not_found")
	h.do("POST", "/v1/servers/102/actions/create_image", `{}`).wantError(t, 404, "not_found")
}

func TestBusyServer_lastingLockNamedByTheServersRunningActions(t *testing.T) {
	h := newHarness(t, Options{ActionDuration: time.Second})
	busy, ok := h.emu.BusyServer(101, "rebuild_server", 10*time.Minute)
	if !ok {
		t.Fatal("BusyServer refused server 101")
	}
	for range 5 {
		h.do("POST", "/v1/servers/101/actions/create_image", `{}`).wantError(t, http.StatusLocked, "locked")
		h.clock.Advance(time.Minute)
	}
	var list struct {
		Actions []Action `json:"actions"`
	}
	h.do("GET", "/v1/servers/101/actions?status=running", "").decode(t, &list)
	if len(list.Actions) != 1 || list.Actions[0].ID != busy.ID || list.Actions[0].Command != "rebuild_server" {
		t.Errorf("running actions of the server: %+v", list.Actions)
	}
	h.clock.Advance(5 * time.Minute)
	h.createImageStatus(101, http.StatusCreated)
	h.do("GET", "/v1/servers/101/actions?status=success&sort=id", "").decode(t, &list)
	if len(list.Actions) != 1 || list.Actions[0].ID != busy.ID {
		t.Errorf("finished actions of the server: %+v", list.Actions)
	}
	h.do("GET", "/v1/servers/999/actions", "").wantError(t, 404, "not_found")
}

func TestAdminServers_busyAndDailyBackup(t *testing.T) {
	h := newHarness(t, Options{})
	h.adminDo("POST", "/__emulator/servers/101/busy", `{"command":"rebuild_server","duration":"3m"}`).wantStatus(t, http.StatusCreated)
	h.do("POST", "/v1/servers/101/actions/create_image", `{}`).wantError(t, http.StatusLocked, "locked")
	h.clock.Advance(3 * time.Minute)
	h.createImageStatus(101, http.StatusCreated)

	h.adminDo("POST", "/__emulator/servers/102/daily_backup", "").wantStatus(t, http.StatusCreated)
	if got := backupIDs(h.emu, 102); len(got) != 1 {
		t.Errorf("backups after an admin daily backup: %v", got)
	}
	h.adminDo("POST", "/__emulator/servers/101/daily_backup", "").wantError(t, 422, "unsupported_error")
	h.adminDo("POST", "/__emulator/servers/999/busy", "").wantError(t, 404, "not_found")
	h.adminDo("POST", "/__emulator/servers/101/busy", `{"duration":"-1s"}`).wantError(t, 422, "invalid_input")
	h.adminDo("GET", "/__emulator/servers/101/busy", "").wantError(t, 405, "method_not_allowed")
}
