package emulator

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// backupSlots is how many backups a server keeps: enabling backups buys "seven slots where
// Images of type backup can be stored" (the spec's enable_backup). A new backup in a full set
// drops the oldest [assumed for backups made with create_image].
const backupSlots = 7

// backupWindows are the four-hour windows a daily backup starts in (UTC hours).
var backupWindows = []string{"22-02", "02-06", "06-10", "10-14", "14-18", "18-22"}

// defaultBackupDuration is how long a daily backup holds its server: long enough that a
// create_image meets a lasting lock, not a blip.
const defaultBackupDuration = 5 * time.Minute

func (e *Emulator) backupDuration() time.Duration {
	return cmp.Or(e.opts.BackupDuration, max(defaultBackupDuration, e.opts.ActionDuration))
}

// enableBackups turns backups on, picks a window when the server has none, and schedules the
// next daily backup at the window's next start.
func (e *Emulator) enableBackups(s *Server, now time.Time) {
	s.BackupsEnabled = true
	if s.BackupWindow == "" {
		s.BackupWindow = backupWindows[s.ID%int64(len(backupWindows))]
	}
	start, _ := strconv.Atoi(strings.SplitN(s.BackupWindow, "-", 2)[0])
	next := time.Date(now.Year(), now.Month(), now.Day(), start, 0, 0, 0, time.UTC)
	if !next.After(now) {
		next = next.AddDate(0, 0, 1)
	}
	s.nextBackup = next
}

// takeDueBackups starts every daily backup whose window opened by now. After a long jump of
// the clock only the last week's backups are taken: older ones would be dropped at once.
func (e *Emulator) takeDueBackups(now time.Time) {
	for _, s := range byID(e.servers, (*Server).clone) {
		srv := e.servers[s.ID]
		if !srv.BackupsEnabled || srv.nextBackup.IsZero() {
			continue
		}
		if due := int64(now.Sub(srv.nextBackup)/(24*time.Hour)) + 1; due > backupSlots {
			srv.nextBackup = srv.nextBackup.Add(time.Duration(due-backupSlots) * 24 * time.Hour)
		}
		for !now.Before(srv.nextBackup) {
			e.startBackup(srv, srv.nextBackup, e.backupDuration())
			srv.nextBackup = srv.nextBackup.Add(24 * time.Hour)
		}
	}
}

// startBackup makes an automatic backup of a server: an image of type backup, bound to the
// server, written by a create_image action [assumed: the command of automatic backups is not
// documented] that holds the server for d. It has no labels and a generated description, like
// any image nobody described.
func (e *Emulator) startBackup(s *Server, at time.Time, d time.Duration) (*Image, *actionState) {
	bound := s.ID
	img := &Image{
		ID:           e.nextImageID,
		Type:         ImageTypeBackup,
		Status:       ImageStatusCreating,
		Description:  generatedDescription(s, ImageTypeBackup, at),
		DiskSize:     s.DiskSize,
		Created:      wireTime(at),
		CreatedFrom:  &CreatedFrom{ID: s.ID, Name: s.Name},
		BoundTo:      &bound,
		OSFlavor:     s.OSFlavor,
		OSVersion:    optional(s.OSVersion),
		Architecture: s.Architecture,
		Labels:       map[string]string{},
	}
	e.nextImageID++
	e.images[img.ID] = img
	e.rotateBackups(s.ID)
	a := e.startAction(commandCreateImage, at, d, []ActionResource{{ID: s.ID, Type: "server"}, {ID: img.ID, Type: "image"}})
	a.imageID = img.ID
	return img, a
}

// rotateBackups drops the oldest backups of a server beyond its seven slots.
func (e *Emulator) rotateBackups(serverID int64) {
	backups := e.backupsOf(serverID)
	for len(backups) > backupSlots {
		e.removeByAPI(backups[0].ID)
		backups = backups[1:]
	}
}

// backupsOf returns the backups bound to a server, oldest first.
func (e *Emulator) backupsOf(serverID int64) []*Image {
	var out []*Image
	for _, img := range e.images {
		if img.Type == ImageTypeBackup && img.BoundTo != nil && *img.BoundTo == serverID {
			out = append(out, img)
		}
	}
	slices.SortFunc(out, func(a, b *Image) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// removeByAPI deletes an image the API removes on its own (a rotated or disabled backup, the
// backups of a deleted server), and remembers it, so that tests can tell such a loss from one
// the client caused.
func (e *Emulator) removeByAPI(id int64) {
	if _, ok := e.images[id]; !ok {
		return
	}
	delete(e.images, id)
	e.removedByAPI = append(e.removedByAPI, id)
}

func (e *Emulator) lookupServer(id int64) (*Server, *apiError) {
	return lookup(e.servers, "server", id)
}

// enableBackup is POST /servers/{id}/actions/enable_backup. Enabling twice is no error
// [assumed]; the window stays.
func (e *Emulator) enableBackup(rq *request) reply {
	s, err := e.lookupServer(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	if err := e.serverBusy(s, rq.now); err != nil {
		return errorReply(err)
	}
	if !s.BackupsEnabled {
		e.enableBackups(s, rq.now)
	}
	return e.quickAction(rq, http.StatusCreated, commandEnableBackup, ActionResource{ID: s.ID, Type: "server"})
}

// disableBackup is POST /servers/{id}/actions/disable_backup: "deletes all existing Backups
// for a Server", the one being written included.
func (e *Emulator) disableBackup(rq *request) reply {
	s, err := e.lookupServer(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	if err := e.serverBusy(s, rq.now); err != nil {
		return errorReply(err)
	}
	e.disableBackups(s)
	return e.quickAction(rq, http.StatusCreated, commandDisableBackup, ActionResource{ID: s.ID, Type: "server"})
}

func (e *Emulator) disableBackups(s *Server) {
	s.BackupsEnabled = false
	s.BackupWindow = ""
	s.nextBackup = time.Time{}
	for _, img := range e.backupsOf(s.ID) {
		e.removeByAPI(img.ID)
	}
}

// deleteServer is DELETE /servers/{id}. The server's backups go with it; its snapshots stay
// and keep naming it in created_from. A running action does not stop the deletion [assumed];
// delete protection does: 423 protected, as for images.
func (e *Emulator) deleteServer(rq *request) reply {
	s, err := e.lookupServer(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	if s.DeleteProtection {
		return errorReply(&apiError{status: http.StatusLocked, code: "protected", message: fmt.Sprintf("server %d is protected against deletion", s.ID)})
	}
	e.disableBackups(s)
	delete(e.servers, s.ID)
	delete(e.transitions, s.ID)
	return e.quickAction(rq, http.StatusOK, commandDeleteServer, ActionResource{ID: s.ID, Type: "server"})
}

// listActionsForServer is GET /servers/{id}/actions: how a client finds what holds a locked
// server (status=running).
func (e *Emulator) listActionsForServer(rq *request) reply {
	s, err := e.lookupServer(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	return e.listActionsWith(rq, actionFilter{server: s.ID}, true)
}

// RunDailyBackup takes a server's automatic backup now, as its window would, holding the
// server for Options.BackupDuration; the oldest of more than seven backups goes. It reports
// false when the server does not exist or has backups disabled.
func (e *Emulator) RunDailyBackup(serverID int64) (Image, Action, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	e.advance(now)
	s, ok := e.servers[serverID]
	if !ok || !s.BackupsEnabled {
		return Image{}, Action{}, false
	}
	img, a := e.startBackup(s, now, e.backupDuration())
	return img.clone(), a.view(), true
}

// BusyServer starts a long action of the server's own, such as "rebuild_server", that holds
// it for d: every create_image on it is answered 423 locked until the action ends, and
// GET /servers/{id}/actions?status=running names it. It reports false for an unknown server.
func (e *Emulator) BusyServer(serverID int64, command string, d time.Duration) (Action, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	e.advance(now)
	if _, ok := e.servers[serverID]; !ok {
		return Action{}, false
	}
	a := e.startAction(command, now, d, []ActionResource{{ID: serverID, Type: "server"}})
	return a.view(), true
}

// ImagesRemovedByAPI returns the ids of the images the API removed on its own, in order:
// backups rotated out of their seven slots, removed by disable_backup or with their server.
func (e *Emulator) ImagesRemovedByAPI() []int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.clock())
	return slices.Clone(e.removedByAPI)
}
