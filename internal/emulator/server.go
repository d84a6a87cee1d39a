package emulator

import (
	"fmt"
	"net/http"
	"time"
)

// Server is the little of a server that images need: where create_image
// copies the OS, architecture and disk size from, and whether backups are on.
type Server struct {
	ID             int64   `json:"id"`
	Name           string  `json:"name"`
	Architecture   string  `json:"architecture"`
	DiskSize       float64 `json:"disk_size"`
	BackupsEnabled bool    `json:"backups_enabled"`
	OSFlavor       string  `json:"os_flavor"`
	OSVersion      string  `json:"os_version"`
	// Status is running (the default), off, starting or stopping.
	Status string `json:"status"`
	// IgnoreACPIShutdown makes the operating system ignore the graceful
	// shutdown request, as some do: only a poweroff stops the server.
	IgnoreACPIShutdown bool `json:"ignore_acpi_shutdown"`
	// BackupWindow is when the daily backup runs, e.g. "22-02" (UTC hours);
	// empty while backups are off. AddServer picks one for a server with
	// backups enabled.
	BackupWindow string `json:"backup_window,omitempty"`

	nextBackup time.Time // the start of the next backup window, with Options.DailyBackups
}

func (e *Emulator) serverBusy(s *Server, now time.Time) *apiError {
	if until, ok := e.serverLocks[s.ID]; ok && now.Before(until) {
		return locked("server %d is locked", s.ID)
	}
	for _, a := range e.actions {
		if a.Status == ActionStatusRunning && a.involves("server", s.ID) {
			return locked("server %d is locked by running action %d", s.ID, a.ID)
		}
	}
	return nil
}

type createImageResponse struct {
	Image  Image  `json:"image"`
	Action Action `json:"action"`
}

// createImage is POST /servers/{id}/actions/create_image. Input errors come
// before state errors: 404, then 400/422 for the body, then 423 locked, then
// 422 unsupported_error for a backup without backups enabled [assumed].
func (e *Emulator) createImage(rq *request) reply {
	srv, ok := e.servers[rq.params["id"]]
	if !ok {
		return errorReply(notFound("server with ID %d not found", rq.params["id"]))
	}
	body, err := decodeBody(rq.body)
	if err != nil {
		return errorReply(err)
	}
	typ, err := body.optString("type")
	if err != nil {
		return errorReply(err)
	}
	imageType := ImageTypeSnapshot
	if typ != nil {
		if *typ != ImageTypeSnapshot && *typ != ImageTypeBackup {
			return errorReply(invalidInput("type", fmt.Sprintf("%q is not one of snapshot, backup", *typ)))
		}
		imageType = *typ
	}
	desc, err := body.optString("description")
	if err != nil {
		return errorReply(err)
	}
	labels, err := body.optLabels("labels")
	if err != nil {
		return errorReply(err)
	}
	if err := e.serverBusy(srv, rq.now); err != nil {
		return errorReply(err)
	}
	if imageType == ImageTypeBackup && !srv.BackupsEnabled {
		return errorReply(unsupported("server %d does not have backups enabled", srv.ID))
	}

	description := generatedDescription(srv, imageType, rq.now)
	if desc != nil {
		description = *desc
	}
	if labels == nil {
		labels = map[string]string{}
	}
	img := &Image{
		ID:           e.nextImageID,
		Type:         imageType,
		Status:       ImageStatusCreating,
		Description:  description,
		DiskSize:     srv.DiskSize,
		Created:      wireTime(rq.now),
		CreatedFrom:  &CreatedFrom{ID: srv.ID, Name: srv.Name},
		OSFlavor:     srv.OSFlavor,
		OSVersion:    optional(srv.OSVersion),
		Architecture: srv.Architecture,
		Labels:       labels,
	}
	if imageType == ImageTypeBackup {
		bound := srv.ID
		img.BoundTo = &bound
	}
	e.nextImageID++
	e.images[img.ID] = img
	// Whether the copy is consistent depends on the server being off.
	e.record(srv.ID, commandCreateImage+" ("+srv.Status+")")
	if imageType == ImageTypeBackup {
		e.rotateBackups(srv.ID)
	}

	// The official example lists only the server; listing the image too
	// [assumed] lets /images/{id}/actions find the action that made it.
	a := e.startAction(commandCreateImage, rq.now, e.opts.ActionDuration, []ActionResource{
		{ID: srv.ID, Type: "server"},
		{ID: img.ID, Type: "image"},
	})
	a.imageID = img.ID
	return jsonReply(http.StatusCreated, createImageResponse{img.clone(), a.view()})
}

// generatedDescription stands in for the API's own default, whose format is
// not documented: "<server name>-<type>-<UTC time>" [assumed].
func generatedDescription(s *Server, imageType string, now time.Time) string {
	return fmt.Sprintf("%s-%s-%s", s.Name, imageType, now.UTC().Format("20060102-150405"))
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
