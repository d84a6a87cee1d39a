package emulator

import (
	"cmp"
	"net/http"
	"slices"
	"time"
)

// Action statuses as they appear on the wire.
const (
	ActionStatusRunning = "running"
	ActionStatusSuccess = "success"
	ActionStatusError   = "error"
)

const (
	commandCreateImage      = "create_image"
	commandChangeProtection = "change_protection"
	commandEnableBackup     = "enable_backup"
	commandDisableBackup    = "disable_backup"
	commandDeleteServer     = "delete_server"
)

// Action is the emulator's action in the API's wire shape.
type Action struct {
	ID        int64            `json:"id"`
	Command   string           `json:"command"`
	Status    string           `json:"status"`
	Progress  int              `json:"progress"`
	Started   time.Time        `json:"started"`
	Finished  *time.Time       `json:"finished"`
	Resources []ActionResource `json:"resources"`
	Error     *ActionError     `json:"error"`
}

// ActionResource is one resource an action touches.
type ActionResource struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
}

// ActionError is the error of an action that ended in status "error".
type ActionError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// actionState is an action plus what the lazy clock needs to finish it.
type actionState struct {
	Action
	start, deadline time.Time // precise; the wire times are whole seconds
	fail            *ActionError
	// imageID is the image the action finishes (create_image) or whose
	// protection it reverts on failure (change_protection).
	imageID            int64
	previousProtection *bool
	// serverID is the server whose power a poweroff or poweron action switches, or whose type
	// a change_server_type action changes (resize).
	serverID int64
	resize   *serverResize
}

func (a *actionState) view() Action {
	c := a.Action
	c.Resources = slices.Clone(a.Resources)
	if c.Error != nil {
		e := *c.Error
		c.Error = &e
	}
	return c
}

func (a *actionState) involves(typ string, id int64) bool {
	return slices.Contains(a.Resources, ActionResource{ID: id, Type: typ})
}

// wireTime is how every timestamp is sent: UTC, whole seconds, so that it
// reads like the API's "2016-01-30T23:55:00Z".
func wireTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Second)
}

// startAction registers a running action. A pending FailNextAction for the
// command is bound now, so "the next action" means the next one started.
// quickAction starts an action on one resource that ends after a tenth of ActionDuration (a
// protection change, backups switched on or off, a server deleted) and answers with it.
func (e *Emulator) quickAction(rq *request, status int, command string, on ActionResource) reply {
	a := e.startAction(command, rq.now, e.opts.ActionDuration/10, []ActionResource{on})
	return jsonReply(status, actionResponse{a.view()})
}

func (e *Emulator) startAction(command string, now time.Time, d time.Duration, resources []ActionResource) *actionState {
	a := &actionState{
		Action: Action{
			ID:        e.nextActionID,
			Command:   command,
			Status:    ActionStatusRunning,
			Started:   wireTime(now),
			Resources: resources,
		},
		start:    now,
		deadline: now.Add(d),
		fail:     e.takeActionFault(command),
	}
	e.nextActionID++
	e.actions[a.ID] = a
	return a
}

// advance moves every running action to where the clock says it is: progress
// rises in the configured shape up to 99, and at the deadline it finishes. Called under e.mu
// before anything is read.
func (e *Emulator) advance(now time.Time) {
	if e.opts.DailyBackups {
		e.takeDueBackups(now)
	}
	for _, a := range e.actions {
		if a.Status != ActionStatusRunning {
			continue
		}
		if !now.Before(a.deadline) {
			e.finish(a)
			continue
		}
		total := a.deadline.Sub(a.start)
		if total <= 0 { // only when the clock went backwards
			continue
		}
		p := e.opts.ProgressShape.at(float64(now.Sub(a.start)) / float64(total))
		a.Progress = max(a.Progress, p)
	}
	e.advanceServers(now)
}

func (e *Emulator) finish(a *actionState) {
	finished := wireTime(a.deadline)
	a.Finished = &finished
	img := e.images[a.imageID]
	if a.fail != nil {
		a.Status = ActionStatusError
		a.Error = a.fail
		if img != nil && a.Command == commandCreateImage {
			img.Status = ImageStatusUnavailable
		}
		if img != nil && a.previousProtection != nil {
			img.Protection.Delete = *a.previousProtection
		}
		e.powerActionFailed(a)
		return
	}
	a.Status = ActionStatusSuccess
	a.Progress = 100
	e.applyResize(a)
	if img != nil && a.Command == commandCreateImage {
		img.Status = ImageStatusAvailable
		size := imageSize(img.DiskSize)
		img.ImageSize = &size
	}
}

type actionResponse struct {
	Action Action `json:"action"`
}

type actionFilter struct {
	ids      []int64
	statuses []string
	image    int64 // 0: any action; else only actions on this image
	server   int64 // 0: any action; else only actions on this server
	onImages bool  // only actions that involve some image
}

func (f actionFilter) keep(a *actionState) bool {
	switch {
	case len(f.ids) > 0 && !slices.Contains(f.ids, a.ID),
		len(f.statuses) > 0 && !slices.Contains(f.statuses, a.Status),
		f.image != 0 && !a.involves("image", f.image),
		f.server != 0 && !a.involves("server", f.server),
		f.onImages && !slices.ContainsFunc(a.Resources, func(r ActionResource) bool { return r.Type == "image" }):
		return false
	}
	return true
}

func compareActions(a, b Action, field string) int {
	switch field {
	case "command":
		return cmp.Compare(a.Command, b.Command)
	case "status":
		return cmp.Compare(a.Status, b.Status)
	case "started":
		return a.Started.Compare(b.Started)
	case "finished":
		// Unfinished actions sort first [assumed].
		switch {
		case a.Finished == nil && b.Finished == nil:
			return 0
		case a.Finished == nil:
			return -1
		case b.Finished == nil:
			return 1
		}
		return a.Finished.Compare(*b.Finished)
	default:
		return cmp.Compare(a.ID, b.ID)
	}
}

// listActionsWith serves the three action lists. withMeta is false for
// GET /actions, whose response the spec defines as {"actions": [...]} only.
func (e *Emulator) listActionsWith(rq *request, filter actionFilter, withMeta bool) reply {
	q := rq.http.URL.Query()
	var err *apiError
	if filter.statuses, err = enumParams(q, "status", ActionStatusRunning, ActionStatusSuccess, ActionStatusError); err != nil {
		return errorReply(err)
	}
	keys, err := parseSort(q["sort"], "id", "command", "status", "started", "finished")
	if err != nil {
		return errorReply(err)
	}
	page, perPage, err := pageParams(q)
	if err != nil {
		return errorReply(err)
	}
	matched := []Action{}
	for _, a := range e.actions {
		if filter.keep(a) {
			matched = append(matched, a.view())
		}
	}
	sortBy(matched, keys, compareActions)
	lo, hi, p := paginate(len(matched), page, perPage)
	var rep reply
	if withMeta {
		rep = jsonReply(http.StatusOK, struct {
			Actions []Action `json:"actions"`
			Meta    listMeta `json:"meta"`
		}{matched[lo:hi], listMeta{p}})
	} else {
		rep = jsonReply(http.StatusOK, struct {
			Actions []Action `json:"actions"`
		}{matched[lo:hi]})
	}
	setLink(rep.header, rq.http, p)
	return rep
}

// listActions is GET /actions. id is required since listing every action of
// a project was removed (2025-01-30); without it the answer is
// invalid_input [assumed].
func (e *Emulator) listActions(rq *request) reply {
	q := rq.http.URL.Query()
	if len(q["id"]) == 0 {
		return errorReply(invalidInput("id", "is required"))
	}
	ids, err := idParams(q, "id")
	if err != nil {
		return errorReply(err)
	}
	return e.listActionsWith(rq, actionFilter{ids: ids}, false)
}

func (e *Emulator) listImageActions(rq *request) reply {
	ids, err := idParams(rq.http.URL.Query(), "id")
	if err != nil {
		return errorReply(err)
	}
	return e.listActionsWith(rq, actionFilter{ids: ids, onImages: true}, true)
}

func (e *Emulator) listActionsForImage(rq *request) reply {
	img, err := e.lookupImage(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	return e.listActionsWith(rq, actionFilter{image: img.ID}, true)
}

func (e *Emulator) lookupAction(id int64, keep func(*actionState) bool) (*actionState, *apiError) {
	a, ok := e.actions[id]
	if !ok || !keep(a) {
		return nil, notFound("action with ID %d not found", id)
	}
	return a, nil
}

func (e *Emulator) getAction(rq *request) reply {
	a, err := e.lookupAction(rq.params["id"], func(*actionState) bool { return true })
	if err != nil {
		return errorReply(err)
	}
	return jsonReply(http.StatusOK, actionResponse{a.view()})
}

func (e *Emulator) getImageAction(rq *request) reply {
	a, err := e.lookupAction(rq.params["id"], actionFilter{onImages: true}.keep)
	if err != nil {
		return errorReply(err)
	}
	return jsonReply(http.StatusOK, actionResponse{a.view()})
}

func (e *Emulator) getActionForImage(rq *request) reply {
	img, err := e.lookupImage(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	a, err := e.lookupAction(rq.params["action_id"], actionFilter{image: img.ID}.keep)
	if err != nil {
		return errorReply(err)
	}
	return jsonReply(http.StatusOK, actionResponse{a.view()})
}
