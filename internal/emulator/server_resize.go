package emulator

import (
	"fmt"
	"net/http"
)

const (
	commandChangeServerType = "change_server_type"
	// ServerStatusMigrating is a server's status while change_type copies its disk.
	ServerStatusMigrating = "migrating"
)

// serverResize is what a change_server_type action applies to its server when it succeeds.
type serverResize struct {
	serverType string
	diskSize   float64
}

// changeServerType is POST /servers/{id}/actions/change_type. The description of
// change_type_of_server: the server "must be powered off" (else server_not_stopped); the
// action "copies the content of its disk, and starts it again"; only types with "equal or
// bigger disks"; with upgrade_disk the disk grows to the new type's, which rules out a
// smaller type later; a type that "does not fit for the given server or is deprecated" is
// invalid_server_type. Order of the checks, as elsewhere: 404, the body, 423 locked, then the
// server's state and the type's fit. The server is migrating (and locked) while the action
// runs, then running with its new type; a failed action leaves it off with the old one.
func (e *Emulator) changeServerType(rq *request) reply {
	s, body, err := e.serverAndBody(rq)
	if err != nil {
		return errorReply(err)
	}
	st, err := idOrNameOf(body, "server_type", serverTypeByID, serverTypeByName)
	if err != nil {
		return errorReply(err)
	}
	upgrade, err := body.optBool("upgrade_disk")
	if err != nil {
		return errorReply(err)
	}
	if upgrade == nil {
		return errorReply(invalidInput("upgrade_disk", "is required"))
	}
	if err := e.serverBusy(s, rq.now); err != nil {
		return errorReply(err)
	}
	if s.Status != ServerStatusOff {
		return errorReply(&apiError{status: http.StatusUnprocessableEntity, code: "server_not_stopped",
			message: fmt.Sprintf("server %d must be stopped before changing its type (it is %s)", s.ID, s.Status)})
	}
	if err := typeUnfit(s, st); err != nil {
		return errorReply(err)
	}

	disk := s.DiskSize
	if *upgrade {
		disk = max(disk, st.Disk)
	}
	a := e.startAction(commandChangeServerType, rq.now, e.opts.ActionDuration, []ActionResource{{ID: s.ID, Type: "server"}})
	a.resize = &serverResize{serverType: st.Name, diskSize: disk}
	a.serverID = s.ID
	e.record(s.ID, commandChangeServerType+" ("+s.ServerType+" to "+st.Name+")")
	e.setServerStatus(s, ServerStatusMigrating)
	e.transitions[s.ID] = serverTransition{status: ServerStatusRunning, at: a.deadline, action: a.ID}
	return jsonReply(http.StatusCreated, actionResponse{a.view()})
}

// typeUnfit refuses a type the server cannot change to (invalid_server_type), or is nil.
func typeUnfit(s *Server, st ServerType) *apiError {
	switch {
	case noLongerSold(st.Deprecation):
		return invalidServerType("server type %s is deprecated and no longer available", st.Name)
	case st.Architecture != s.Architecture:
		return invalidServerType("server type %s is %s, server %d is %s", st.Name, st.Architecture, s.ID, s.Architecture)
	case st.Disk < s.DiskSize:
		return invalidServerType("server type %s has a disk of %g GB, smaller than the %g GB of server %d", st.Name, st.Disk, s.DiskSize, s.ID)
	}
	return nil
}

// applyResize gives the server of a successful change_server_type action its new type and disk.
func (e *Emulator) applyResize(a *actionState) {
	if srv := e.servers[a.serverID]; srv != nil && a.resize != nil {
		srv.ServerType = a.resize.serverType
		srv.DiskSize = a.resize.diskSize
	}
}
