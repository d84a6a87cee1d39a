package emulator

import (
	"net/http"
)

// updateServer is PUT /servers/{id}: "You can update a Server's name and a Server's labels"
// (update_server). The name follows the rules of create_server; labels replace the old ones.
func (e *Emulator) updateServer(rq *request) reply {
	s, body, err := e.serverAndBody(rq)
	if err != nil {
		return errorReply(err)
	}
	name, labels, err := body.nameAndLabels()
	if err != nil {
		return errorReply(err)
	}
	if name != nil {
		if err := e.checkServerName(*name, s.ID); err != nil {
			return errorReply(err)
		}
		s.Name = *name
	}
	if labels != nil {
		s.Labels = labels
	}
	return jsonReply(http.StatusOK, serverResponse{e.view(s, rq.now)})
}

// checkServerName refuses a name that is no hostname (422 invalid_input) or that another
// server than self has (409 uniqueness_error).
func (e *Emulator) checkServerName(name string, self int64) *apiError {
	if !hostname.MatchString(name) {
		return invalidInput("name", "must be a valid hostname (RFC 1123): letters, digits, periods and dashes")
	}
	for _, s := range e.servers {
		if s.Name == name && s.ID != self {
			return notUnique("name", "server name is already used")
		}
	}
	return nil
}

// changeServerProtection is POST /servers/{id}/actions/change_protection: delete and rebuild,
// each optional. Like the images' change_protection, the flags change at once and the
// action reports it; a server another action holds answers 423 locked [assumed].
func (e *Emulator) changeServerProtection(rq *request) reply {
	s, body, err := e.serverAndBody(rq)
	if err != nil {
		return errorReply(err)
	}
	del, err := body.optBool("delete")
	if err != nil {
		return errorReply(err)
	}
	rebuild, err := body.optBool("rebuild")
	if err != nil {
		return errorReply(err)
	}
	if err := e.serverBusy(s, rq.now); err != nil {
		return errorReply(err)
	}
	if del != nil {
		s.DeleteProtection = *del
	}
	if rebuild != nil {
		s.RebuildProtection = *rebuild
	}
	return e.quickAction(rq, http.StatusCreated, commandChangeProtection, ActionResource{ID: s.ID, Type: "server"})
}

// serverAndBody is the server of the path and the request's body: 404 first, then a body
// that is no JSON object.
func (e *Emulator) serverAndBody(rq *request) (*Server, jsonBody, *apiError) {
	s, err := e.lookupServer(rq.params["id"])
	if err != nil {
		return nil, nil, err
	}
	body, err := decodeBody(rq.body)
	return s, body, err
}
