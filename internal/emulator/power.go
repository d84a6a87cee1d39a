package emulator

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Server statuses the power actions move a server through, as they appear on
// the wire. The emulator also sets ServerStatusInitializing (create) and
// ServerStatusMigrating (change_type); serverStatuses lists every one the API
// knows.
const (
	ServerStatusRunning  = "running"
	ServerStatusOff      = "off"
	ServerStatusStarting = "starting"
	ServerStatusStopping = "stopping"
)

// Commands of the power actions, as the API names them (the paths say
// shutdown, poweroff and poweron; the actions say shutdown_server,
// stop_server and start_server).
const (
	commandShutdownServer = "shutdown_server"
	commandStopServer     = "stop_server"
	commandStartServer    = "start_server"
	commandRebootServer   = "reboot_server"
	commandResetServer    = "reset_server"
)

// serverTransition is a status a server reaches at a given time: the end of a
// shutdown the operating system performs, or of a power action.
type serverTransition struct {
	status string
	at     time.Time
	action int64 // the power action that causes it; 0 for an ACPI shutdown
}

// SetServerPower changes, as an operator outside the API would, whether a
// server is running or off and whether its operating system ignores the ACPI
// shutdown request. A nil field is left as it is. It reports whether the
// server exists.
func (e *Emulator) SetServerPower(serverID int64, status *string, ignoreACPIShutdown *bool) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.clock())
	return e.setServerPowerLocked(serverID, status, ignoreACPIShutdown)
}

func (e *Emulator) setServerPowerLocked(serverID int64, status *string, ignoreACPIShutdown *bool) (bool, error) {
	srv, ok := e.servers[serverID]
	if !ok {
		return false, nil
	}
	if status != nil {
		if *status != ServerStatusRunning && *status != ServerStatusOff {
			return true, fmt.Errorf("status %q: only %s and %s can be set", *status, ServerStatusRunning, ServerStatusOff)
		}
		delete(e.transitions, serverID)
		e.setServerStatus(srv, *status)
	}
	if ignoreACPIShutdown != nil {
		srv.IgnoreACPIShutdown = *ignoreACPIShutdown
	}
	return true, nil
}

// ServerHistory returns what happened to a server's power, oldest first: the
// commands of the actions started on it (shutdown_server, stop_server,
// start_server, and create_image with the status the server had at that
// moment, e.g. "create_image (off)") and every status it went through.
func (e *Emulator) ServerHistory(serverID int64) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.clock())
	return slices.Clone(e.history[serverID])
}

func (e *Emulator) record(serverID int64, event string) {
	e.history[serverID] = append(e.history[serverID], event)
}

func (e *Emulator) setServerStatus(srv *Server, status string) {
	if srv.Status == status {
		return
	}
	srv.Status = status
	e.record(srv.ID, status)
}

// advanceServers applies every transition that is due, oldest first, so that
// a server's history reads in the order things happened. Called under e.mu
// after the actions have been advanced.
func (e *Emulator) advanceServers(now time.Time) {
	due := slices.DeleteFunc(slices.Collect(maps.Keys(e.transitions)), func(id int64) bool {
		return now.Before(e.transitions[id].at)
	})
	slices.SortFunc(due, func(a, b int64) int {
		return cmp.Or(e.transitions[a].at.Compare(e.transitions[b].at), cmp.Compare(a, b))
	})
	for _, id := range due {
		t := e.transitions[id]
		delete(e.transitions, id)
		if srv := e.servers[id]; srv != nil {
			e.setServerStatus(srv, t.status)
		}
	}
}

// powerActionFailed undoes the status a failed power action announced: a
// server that failed to start is off, one that failed to stop is running.
func (e *Emulator) powerActionFailed(a *actionState) {
	t, ok := e.transitions[a.serverID]
	if !ok || t.action != a.ID {
		return
	}
	delete(e.transitions, a.serverID)
	if srv := e.servers[a.serverID]; srv != nil {
		back := ServerStatusRunning
		if t.status == ServerStatusRunning {
			back = ServerStatusOff
		}
		e.setServerStatus(srv, back)
	}
}

// startPowerAction starts a power action on a server: 404 for an unknown
// server, 423 while another action runs on it.
func (e *Emulator) startPowerAction(rq *request, command string) (*Server, *actionState, reply, bool) {
	srv, ok := e.servers[rq.params["id"]]
	if !ok {
		return nil, nil, errorReply(notFound("server with ID %d not found", rq.params["id"])), false
	}
	if err := e.serverBusy(srv, rq.now); err != nil {
		return nil, nil, errorReply(err), false
	}
	a := e.startAction(command, rq.now, e.opts.PowerActionDuration, []ActionResource{{ID: srv.ID, Type: "server"}})
	e.record(srv.ID, command)
	return srv, a, reply{}, true
}

// shutdownServer is POST /servers/{id}/actions/shutdown: an ACPI request to
// the operating system. As the API documents, the action only says that the
// request was delivered; the server is off ShutdownDuration later, or never
// when its operating system ignores ACPI. A server that is off stays off.
func (e *Emulator) shutdownServer(rq *request) reply {
	srv, a, rep, ok := e.startPowerAction(rq, commandShutdownServer)
	if !ok {
		return rep
	}
	if srv.Status == ServerStatusRunning && !srv.IgnoreACPIShutdown {
		e.setServerStatus(srv, ServerStatusStopping)
		e.transitions[srv.ID] = serverTransition{status: ServerStatusOff, at: rq.now.Add(e.opts.ShutdownDuration)}
	}
	return jsonReply(http.StatusCreated, actionResponse{a.view()})
}

// poweroffServer is POST /servers/{id}/actions/poweroff: the power is cut,
// the server is stopping while the action runs and off when it succeeds.
func (e *Emulator) poweroffServer(rq *request) reply {
	return e.switchPower(rq, commandStopServer, ServerStatusOff, ServerStatusStopping)
}

// poweronServer is POST /servers/{id}/actions/poweron: the server is starting
// while the action runs and running when it succeeds. It also ends a graceful
// shutdown still in progress [assumed].
func (e *Emulator) poweronServer(rq *request) reply {
	return e.switchPower(rq, commandStartServer, ServerStatusRunning, ServerStatusStarting)
}

func (e *Emulator) switchPower(rq *request, command, target, meanwhile string) reply {
	srv, a, rep, ok := e.startPowerAction(rq, command)
	if !ok {
		return rep
	}
	// Powering a server on that runs, or off that is off, succeeds and changes nothing [assumed].
	if srv.Status != target {
		e.setServerStatus(srv, meanwhile)
		e.transitions[srv.ID] = serverTransition{status: target, at: a.deadline, action: a.ID}
		a.serverID = srv.ID
	}
	return jsonReply(http.StatusCreated, actionResponse{a.view()})
}

// rebootServer is POST /servers/{id}/actions/reboot: an ACPI reboot request. Like shutdown, the
// action only says the request was delivered; a running server stays running (its operating
// system restarts inside), an off server stays off [assumed].
func (e *Emulator) rebootServer(rq *request) reply {
	_, a, rep, ok := e.startPowerAction(rq, commandRebootServer)
	if !ok {
		return rep
	}
	return jsonReply(http.StatusCreated, actionResponse{a.view()})
}

// resetServer is POST /servers/{id}/actions/reset: "Cuts power to a Server and starts it
// again". A running server stays running; one that is off or stopping is starting while the
// action runs and running when it succeeds [assumed: the description says it starts again].
func (e *Emulator) resetServer(rq *request) reply {
	return e.switchPower(rq, commandResetServer, ServerStatusRunning, ServerStatusStarting)
}
