package emulator

import (
	"bytes"
	"cmp"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
)

const (
	commandCreateServer = "create_server"
	// ServerStatusInitializing is a new server's status until its create_server action (and
	// the start_server that follows it) has finished.
	ServerStatusInitializing = "initializing"
	// maxUserData is the limit of user_data: "limited to 32KiB" (create_server_request).
	maxUserData = 32 << 10
)

// hostname is a valid server name: "a valid hostname as per RFC 1123 (i.e. may only contain
// letters, digits, periods, and dashes)" (create_server). Labels start and end with a letter
// or digit; at most 63 characters a label [RFC 1123; the API's total limit is assumed the same].
var hostname = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

type createServerResponse struct {
	Server       serverView `json:"server"`
	Action       Action     `json:"action"`
	NextActions  []Action   `json:"next_actions"`
	RootPassword *string    `json:"root_password"`
}

// createServer is POST /servers. The request names a server type and an image by id or name
// (hcloud-go sends an id as a JSON number, a name as a string) and optionally a location or a
// datacenter. Every input error is 422 invalid_input naming the field, including a server
// type, image or location that does not exist [assumed: the body is wrong, not the path, so
// not 404]; a name in use is 409 uniqueness_error. ssh_keys name keys by id or name; the
// emulator has no volumes, networks, firewalls, placement groups or primary IPs, so any
// reference to one is unknown.
//
// The server is "initializing" while the create_server action runs and, with
// start_after_create (default true), while the start_server action in next_actions runs after
// it; then running, or off without start_after_create.
func (e *Emulator) createServer(rq *request) reply {
	in, err := e.parseCreateServer(rq.body)
	if err != nil {
		return errorReply(err)
	}
	if err := e.checkServerName(in.name, 0); err != nil {
		return errorReply(err)
	}

	srv := &Server{
		ID: e.nextServerID, Name: in.name, Architecture: in.serverType.Architecture,
		DiskSize: in.serverType.Disk, OSFlavor: in.image.OSFlavor, OSVersion: deref(in.image.OSVersion),
		Status: ServerStatusInitializing, ServerType: in.serverType.Name, Location: in.location,
		ImageID: in.image.ID, Labels: in.labels, Created: wireTime(rq.now),
		IPv4Disabled: !in.ipv4, IPv6Disabled: !in.ipv6,
	}
	srv.SSHKeys = in.sshKeys
	e.nextServerID++
	e.servers[srv.ID] = srv
	e.record(srv.ID, commandCreateServer)

	resources := []ActionResource{{ID: srv.ID, Type: "server"}}
	create := e.startAction(commandCreateServer, rq.now, e.opts.ActionDuration, resources)
	last, final := create, ServerStatusOff
	next := []Action{}
	if in.start {
		start := e.startAction(commandStartServer, rq.now, e.opts.ActionDuration+e.opts.PowerActionDuration, slices.Clone(resources))
		next = append(next, start.view())
		last, final = start, ServerStatusRunning
	}
	// A failed start leaves the server off (powerActionFailed).
	last.serverID = srv.ID
	e.transitions[srv.ID] = serverTransition{status: final, at: last.deadline, action: last.ID}

	// "If you do not specify any ssh_keys we will generate a root password" (create_server).
	var password *string
	if len(in.sshKeys) == 0 {
		p := rootPassword()
		password = &p
	}
	return jsonReply(http.StatusCreated, createServerResponse{
		Server: e.view(srv, rq.now), Action: create.view(), NextActions: next, RootPassword: password,
	})
}

type createServerInput struct {
	name       string
	serverType ServerType
	image      *Image
	location   string
	labels     map[string]string
	start      bool
	ipv4, ipv6 bool
	sshKeys    []int64
}

func (e *Emulator) parseCreateServer(raw []byte) (createServerInput, *apiError) {
	in := createServerInput{start: true, ipv4: true, ipv6: true, labels: map[string]string{}}
	body, err := decodeBody(raw)
	if err != nil {
		return in, err
	}
	name, err := body.optString("name")
	switch {
	case err != nil:
		return in, err
	case name == nil:
		return in, invalidInput("name", "is required")
	case !hostname.MatchString(*name):
		return in, e.checkServerName(*name, 0)
	}
	in.name = *name

	st, err := idOrNameOf(body, "server_type", serverTypeByID, serverTypeByName)
	if err != nil {
		return in, err
	}
	// A deprecated type "can not be used to create new resources" (deprecation_info); the code
	// is change_type's for a deprecated type [assumed].
	if noLongerSold(st.Deprecation) {
		return in, invalidServerType("server type %s is deprecated and can no longer be ordered", st.Name)
	}
	in.serverType = st

	img, err := idOrNameOf(body, "image", e.imageByID, func(n string) (*Image, bool) { return e.imageByName(n, st.Architecture) })
	if err != nil {
		return in, err
	}
	if msg := imageUnusable(img, st); msg != "" {
		return in, invalidInput("image", msg)
	}
	in.image = img

	if in.location, err = parseLocation(body); err != nil {
		return in, err
	}
	if labels, err := body.optLabels("labels"); err != nil {
		return in, err
	} else if labels != nil {
		in.labels = labels
	}
	if v, err := body.optBool("start_after_create"); err != nil {
		return in, err
	} else if v != nil {
		in.start = *v
	}
	if _, err := body.optBool("automount"); err != nil {
		return in, err
	}
	if ud, err := body.optString("user_data"); err != nil {
		return in, err
	} else if ud != nil && len(*ud) > maxUserData {
		return in, invalidInput("user_data", "must be at most 32 KiB")
	}
	if in.ipv4, in.ipv6, err = parsePublicNet(body); err != nil {
		return in, err
	}
	if in.sshKeys, err = e.sshKeysOf(body); err != nil {
		return in, err
	}
	for _, field := range []string{"volumes", "networks", "firewalls"} {
		var list []json.RawMessage
		present, err := body.field(field, &list, "an array")
		if err != nil {
			return in, err
		}
		if present && len(list) > 0 {
			return in, invalidInput(field, fmt.Sprintf("%s not found", bytes.Trim(list[0], `"`)))
		}
	}
	var group int64
	if present, err := body.field("placement_group", &group, "an integer"); err != nil {
		return in, err
	} else if present {
		return in, invalidInput("placement_group", fmt.Sprintf("placement group %d not found", group))
	}
	return in, nil
}

// idOrNameOf decodes a required key that holds an id (a JSON number or a string of digits) or a
// name, and looks it up.
func idOrNameOf[T any](b jsonBody, key string, byID func(int64) (T, bool), byName func(string) (T, bool)) (T, *apiError) {
	var zero T
	var v any
	present, err := b.field(key, &v, "an ID or a name")
	if err != nil {
		return zero, err
	}
	var found bool
	var o T
	switch x := v.(type) {
	case nil:
		if !present {
			return zero, invalidInput(key, "is required")
		}
	case float64:
		o, found = byID(int64(x))
	case string:
		if id, convErr := strconv.ParseInt(x, 10, 64); convErr == nil {
			o, found = byID(id)
		} else {
			o, found = byName(x)
		}
	default:
		return zero, invalidInput(key, "must be an ID or a name")
	}
	if !found {
		return zero, invalidInput(key, fmt.Sprintf("%s %s not found", key, bytes.TrimSpace(b[key])))
	}
	return o, nil
}

func (e *Emulator) imageByID(id int64) (*Image, bool) {
	img, ok := e.images[id]
	return img, ok
}

// imageByName finds a public image (system or app) by name for an architecture, as the
// request's name means the one that fits the server type.
func (e *Emulator) imageByName(name, arch string) (*Image, bool) {
	for _, img := range e.images {
		if img.Name != nil && *img.Name == name && img.Architecture == arch && img.Deleted == nil {
			return img, true
		}
	}
	return nil, false
}

// imageUnusable says why a server of the type cannot be created from the image, or "" when it
// can [assumed: the API's messages are not documented].
func imageUnusable(img *Image, st ServerType) string {
	switch {
	case img.Deleted != nil:
		return fmt.Sprintf("image %d is deleted", img.ID)
	case img.Status != ImageStatusAvailable:
		return fmt.Sprintf("image %d is %s, not available", img.ID, img.Status)
	case img.Architecture != st.Architecture:
		return fmt.Sprintf("image %d is for %s, server type %s is %s", img.ID, img.Architecture, st.Name, st.Architecture)
	case img.DiskSize > st.Disk:
		return fmt.Sprintf("image %d needs a disk of %g GB, server type %s has %g GB", img.ID, img.DiskSize, st.Name, st.Disk)
	}
	return ""
}

// parseLocation reads location or the deprecated datacenter (ID or name; not both). Without
// either the server is in DefaultLocation [assumed: the API picks one].
func parseLocation(b jsonBody) (string, *apiError) {
	byID := func(id int64) (Location, bool) {
		i := slices.IndexFunc(catalogLocations, func(l Location) bool { return l.ID == id })
		if i < 0 {
			return Location{}, false
		}
		return catalogLocations[i], true
	}
	_, hasLoc := b["location"]
	_, hasDC := b["datacenter"]
	switch {
	case hasLoc && hasDC:
		return "", invalidInput("datacenter", "must not be used together with location")
	case hasDC:
		dc, err := idOrNameOf(b, "datacenter", func(id int64) (Location, bool) {
			return datacenterWhere(func(loc string) bool { return catalogDatacenters[loc].id == id })
		}, func(name string) (Location, bool) {
			return datacenterWhere(func(loc string) bool { return catalogDatacenters[loc].name == name })
		})
		return dc.Name, err
	case hasLoc:
		loc, err := idOrNameOf(b, "location", byID, locationByName)
		return loc.Name, err
	}
	return DefaultLocation, nil
}

// datacenterWhere is the location of the catalog datacenter that matches.
func datacenterWhere(match func(location string) bool) (Location, bool) {
	for _, loc := range catalogLocations {
		if match(loc.Name) {
			return loc, true
		}
	}
	return Location{}, false
}

// parsePublicNet reads public_net: enable_ipv4 and enable_ipv6 default to true; the emulator
// has no primary IPs to name in ipv4 or ipv6.
func parsePublicNet(b jsonBody) (ipv4, ipv6 bool, err *apiError) {
	var pn map[string]json.RawMessage
	present, err := b.field("public_net", &pn, "an object")
	if err != nil || !present {
		return true, true, err
	}
	net := jsonBody(pn)
	enabled := func(key string) (bool, *apiError) {
		v, err := net.optBool(key)
		if err != nil {
			return false, invalidInput("public_net."+key, "must be a boolean")
		}
		return v == nil || *v, nil
	}
	if ipv4, err = enabled("enable_ipv4"); err != nil {
		return false, false, err
	}
	if ipv6, err = enabled("enable_ipv6"); err != nil {
		return false, false, err
	}
	for _, key := range []string{"ipv4", "ipv6"} {
		var id int64
		if present, err := net.field(key, &id, "an integer"); err != nil {
			return false, false, invalidInput("public_net."+key, "must be an integer")
		} else if present {
			return false, false, invalidInput("public_net."+key, fmt.Sprintf("primary IP %d not found", id))
		}
	}
	return ipv4, ipv6, nil
}

// rootPassword is the password the API generates for a server created without SSH keys:
// 20 letters and digits, like the spec's example.
func rootPassword() string {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

// listServerTypes is GET /server_types: the catalog, filtered by name, in pages.
func (e *Emulator) listServerTypes(rq *request) reply {
	name := rq.http.URL.Query().Get("name")
	matched := []ServerType{}
	for _, c := range catalogServerTypes {
		if name == "" || c.name == name {
			st, _ := serverTypeByName(c.name)
			matched = append(matched, st)
		}
	}
	page, p, err := pageOf(rq, matched, func(a, b ServerType, _ string) int { return cmp.Compare(a.ID, b.ID) }, "id")
	if err != nil {
		return errorReply(err)
	}
	return listReply(rq, "server_types", page, p)
}

func (e *Emulator) getServerType(rq *request) reply {
	st, ok := serverTypeByID(rq.params["id"])
	if !ok {
		return errorReply(notFound("server type with ID %d not found", rq.params["id"]))
	}
	return jsonReply(http.StatusOK, map[string]ServerType{"server_type": st})
}
