package emulator

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"time"
)

// Server is the emulator's server: what create_image copies from (OS, architecture, disk
// size, whether backups are on) and what GET /servers shows. The wire object (serverView) is
// built from it and the catalog on every read, so a change to the model (power status,
// backups) shows everywhere at once. AddServer fills the zero fields.
type Server struct {
	ID             int64   `json:"id"`
	Name           string  `json:"name"`
	Architecture   string  `json:"architecture"`
	DiskSize       float64 `json:"disk_size"`
	BackupsEnabled bool    `json:"backups_enabled"`
	OSFlavor       string  `json:"os_flavor"`
	OSVersion      string  `json:"os_version"`
	// Status is running (the default), off, starting or stopping; initializing while the
	// create actions run, migrating while change_type runs.
	Status string `json:"status"`
	// IgnoreACPIShutdown makes the operating system ignore the graceful
	// shutdown request, as some do: only a poweroff stops the server.
	IgnoreACPIShutdown bool `json:"ignore_acpi_shutdown"`
	// BackupWindow is when the daily backup runs, e.g. "22-02" (UTC hours);
	// empty while backups are off. AddServer picks one for a server with
	// backups enabled.
	BackupWindow string    `json:"backup_window,omitempty"`
	nextBackup   time.Time // the start of the next backup window, with Options.DailyBackups

	// ServerType names a catalog type (default: the smallest of the architecture that holds
	// DiskSize); Location names a catalog location (default fsn1).
	ServerType string `json:"server_type"`
	Location   string `json:"location"`
	// ImageID is the image the server was created from; 0, or an image that no longer
	// exists, is sent as image null.
	ImageID           int64             `json:"image_id"`
	Labels            map[string]string `json:"labels"`
	Created           time.Time         `json:"created"`
	DeleteProtection  bool              `json:"delete_protection"`
	RebuildProtection bool              `json:"rebuild_protection"`
	// IPv4Disabled and IPv6Disabled: created with public_net.enable_ipv4 or enable_ipv6 false,
	// the server has no such address (null in public_net).
	IPv4Disabled bool `json:"ipv4_disabled,omitempty"`
	IPv6Disabled bool `json:"ipv6_disabled,omitempty"`
	// SSHKeys are the ids of the keys the server was created with (the API injects them and
	// does not show them on the server object).
	SSHKeys []int64 `json:"ssh_keys,omitempty"`
}

// serverStatuses are every status the API knows, for the status filter of GET /servers (in the
// order its invalid_input message lists them): the four the power actions use, initializing
// (create) and migrating (change_type), and deleting, rebuilding and unknown, which the
// emulator never sets.
var serverStatuses = []string{
	ServerStatusRunning, ServerStatusOff, ServerStatusStarting, ServerStatusStopping,
	ServerStatusInitializing, "deleting", ServerStatusMigrating, "rebuilding", "unknown",
}

func (s *Server) clone() Server {
	c := *s
	c.Labels = maps.Clone(s.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	c.SSHKeys = slices.Clone(s.SSHKeys)
	return c
}

// serverView is the server object of the API. Every key the spec requires is always encoded;
// nullable ones are pointers. What the emulator does not model (networks, volumes, ISOs,
// placement groups, traffic counters) is empty or null.
type serverView struct {
	ID              int64             `json:"id"`
	Name            string            `json:"name"`
	Status          string            `json:"status"`
	Created         time.Time         `json:"created"`
	PublicNet       publicNet         `json:"public_net"`
	PrivateNet      []struct{}        `json:"private_net"`
	ServerType      ServerType        `json:"server_type"`
	Datacenter      Datacenter        `json:"datacenter"`
	Location        Location          `json:"location"`
	Image           *Image            `json:"image"`
	ISO             *struct{}         `json:"iso"`
	PlacementGroup  *struct{}         `json:"placement_group"`
	RescueEnabled   bool              `json:"rescue_enabled"`
	Locked          bool              `json:"locked"`
	BackupWindow    *string           `json:"backup_window"`
	IncludedTraffic int64             `json:"included_traffic"`
	OutgoingTraffic *int64            `json:"outgoing_traffic"`
	IngoingTraffic  *int64            `json:"ingoing_traffic"`
	Protection      serverProtection  `json:"protection"`
	Labels          map[string]string `json:"labels"`
	Volumes         []int64           `json:"volumes"`
	LoadBalancers   []int64           `json:"load_balancers"`
	PrimaryDiskSize int               `json:"primary_disk_size"`
}

type serverProtection struct {
	Delete  bool `json:"delete"`
	Rebuild bool `json:"rebuild"`
}

type publicNet struct {
	IPv4        *publicIPv4 `json:"ipv4"`
	IPv6        *publicIPv6 `json:"ipv6"`
	FloatingIPs []int64     `json:"floating_ips"`
	Firewalls   []struct{}  `json:"firewalls"`
}

type publicIPv4 struct {
	IP      string `json:"ip"`
	Blocked bool   `json:"blocked"`
	DNSPtr  string `json:"dns_ptr"`
}

type publicIPv6 struct {
	IP      string     `json:"ip"`
	Blocked bool       `json:"blocked"`
	DNSPtr  []struct{} `json:"dns_ptr"`
}

// view builds the API's server object. Addresses are derived from the id, so they are unique
// and stable: IPv4 from the benchmarking range 198.18.0.0/15 (RFC 2544), IPv6 a /64 of the
// documentation prefix 2001:db8::/32 (RFC 3849), never addresses of someone else.
func (e *Emulator) view(s *Server, now time.Time) serverView {
	loc, _ := locationByName(s.Location)
	st, _ := serverTypeByName(s.ServerType)
	v := serverView{
		ID: s.ID, Name: s.Name, Status: s.Status, Created: s.Created,
		PublicNet: publicNet{
			IPv4:        &publicIPv4{IP: ipv4Of(s.ID), DNSPtr: "static." + ipv4Of(s.ID) + ".clients.your-server.de"},
			IPv6:        &publicIPv6{IP: ipv6NetOf(s.ID), DNSPtr: []struct{}{}},
			FloatingIPs: []int64{},
			Firewalls:   []struct{}{},
		},
		PrivateNet:      []struct{}{},
		ServerType:      st,
		Datacenter:      datacenterOf(loc),
		Location:        loc,
		Locked:          e.serverBusy(s, now) != nil,
		IncludedTraffic: includedTraffic,
		Protection:      serverProtection{Delete: s.DeleteProtection, Rebuild: s.RebuildProtection},
		Labels:          s.clone().Labels,
		Volumes:         []int64{},
		LoadBalancers:   []int64{},
		PrimaryDiskSize: int(s.DiskSize),
	}
	if s.IPv4Disabled {
		v.PublicNet.IPv4 = nil
	}
	if s.IPv6Disabled {
		v.PublicNet.IPv6 = nil
	}
	if s.BackupsEnabled && s.BackupWindow != "" {
		window := s.BackupWindow
		v.BackupWindow = &window
	}
	if img, ok := e.images[s.ImageID]; ok {
		c := img.clone()
		v.Image = &c
	}
	return v
}

func ipv4Of(id int64) string {
	n := uint32(198)<<24 | uint32(18)<<16
	n += uint32(id) & 0x1ffff //nolint:gosec // G115: the low 17 bits, on purpose
	return fmt.Sprintf("%d.%d.%d.%d", n>>24, n>>16&0xff, n>>8&0xff, n&0xff)
}

func ipv6NetOf(id int64) string {
	return fmt.Sprintf("2001:db8:%x:%x::/64", id>>16&0xffff, id&0xffff)
}

type serverResponse struct {
	Server serverView `json:"server"`
}

func (e *Emulator) getServer(rq *request) reply {
	s, err := e.lookupServer(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	return jsonReply(http.StatusOK, serverResponse{e.view(s, rq.now)})
}

// listServers is GET /servers: filters name (exact), label_selector and status (repeatable),
// sort by id, name or created, and pages as for images.
func (e *Emulator) listServers(rq *request) reply {
	q := rq.http.URL.Query()
	name := q.Get("name")
	statuses, err := enumParams(q, "status", serverStatuses...)
	if err != nil {
		return errorReply(err)
	}
	sel, selErr := parseSelector(q.Get("label_selector"))
	if selErr != nil {
		return errorReply(invalidInput("label_selector", selErr.Error()))
	}
	matched := []*Server{}
	for _, s := range e.servers {
		if (name == "" || s.Name == name) && (len(statuses) == 0 || slices.Contains(statuses, s.Status)) && sel.matches(s.Labels) {
			matched = append(matched, s)
		}
	}
	page, p, err := pageOf(rq, matched, compareServers, "id", "name", "created")
	if err != nil {
		return errorReply(err)
	}
	views := make([]serverView, 0, len(page))
	for _, s := range page {
		views = append(views, e.view(s, rq.now))
	}
	return listReply(rq, "servers", views, p)
}

func compareServers(a, b *Server, field string) int {
	switch field {
	case "name":
		return cmp.Compare(a.Name, b.Name)
	case "created":
		return a.Created.Compare(b.Created)
	default:
		return cmp.Compare(a.ID, b.ID)
	}
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
