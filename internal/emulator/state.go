package emulator

import (
	"cmp"
	"maps"
	"slices"
	"time"
)

// First ids of each kind. The ranges are disjoint so that a client passing a
// server id where an image id belongs gets a 404, not the wrong object.
const (
	firstServerID = 101
	firstImageID  = 1001
	firstActionID = 10001
)

// AddServer adds or replaces a server and returns it. A zero ID is assigned. Empty fields
// get the defaults of a running server: x86, os_flavor unknown, status running, the smallest
// server type that holds the disk (40 GB when DiskSize is zero), location fsn1, created now,
// no labels. A server type or location the catalog does not know panics: it is a test's bug.
func (e *Emulator) AddServer(s Server) Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s.ID == 0 {
		s.ID = e.nextServerID
	}
	e.nextServerID = max(e.nextServerID, s.ID+1)
	s.Architecture = cmp.Or(s.Architecture, "x86")
	s.OSFlavor = cmp.Or(s.OSFlavor, "unknown")
	s.Status = cmp.Or(s.Status, ServerStatusRunning)
	if s.DiskSize == 0 {
		s.DiskSize = 40
	}
	s.ServerType = cmp.Or(s.ServerType, serverTypeFor(s.Architecture, s.DiskSize))
	s.Location = cmp.Or(s.Location, DefaultLocation)
	if _, ok := serverTypeByName(s.ServerType); !ok {
		panic("emulator: unknown server type " + s.ServerType)
	}
	if _, ok := locationByName(s.Location); !ok {
		panic("emulator: unknown location " + s.Location)
	}
	if s.Created.IsZero() {
		s.Created = e.clock()
	}
	s.Created = wireTime(s.Created)
	delete(e.transitions, s.ID)
	if s.BackupsEnabled {
		e.enableBackups(&s, e.clock())
	}
	stored := s.clone()
	e.servers[s.ID] = &stored
	return stored.clone()
}

// AddImage adds or replaces an image, for seeding snapshots, backups and
// system images. A zero ID is assigned. Empty fields get the defaults of a
// usable snapshot: type snapshot, status available, x86, os_flavor unknown,
// created now, no labels. Times are stored as the API sends them (UTC,
// whole seconds). A nil Deprecation is derived from Deprecated, unavailable
// three months later (as hcloud-go's deprecationutil assumes).
func (e *Emulator) AddImage(img Image) Image {
	e.mu.Lock()
	defer e.mu.Unlock()
	now := e.clock()
	e.advance(now)
	if img.ID == 0 {
		img.ID = e.nextImageID
	}
	e.nextImageID = max(e.nextImageID, img.ID+1)
	img.Type = cmp.Or(img.Type, ImageTypeSnapshot)
	img.Status = cmp.Or(img.Status, ImageStatusAvailable)
	img.Architecture = cmp.Or(img.Architecture, "x86")
	img.OSFlavor = cmp.Or(img.OSFlavor, "unknown")
	if img.Created.IsZero() {
		img.Created = now
	}
	img.Created = wireTime(img.Created)
	if img.Deprecated != nil {
		d := wireTime(*img.Deprecated)
		img.Deprecated = &d
		if img.Deprecation == nil {
			img.Deprecation = &Deprecation{Announced: d, UnavailableAfter: d.AddDate(0, 3, 0)}
		}
	}
	if img.Deleted != nil {
		d := wireTime(*img.Deleted)
		img.Deleted = &d
	}
	stored := img.clone()
	e.images[img.ID] = &stored
	return stored.clone()
}

// LockServer makes create_image on the server answer 423 locked for d, as if
// another action were running on it.
func (e *Emulator) LockServer(serverID int64, d time.Duration) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.serverLocks[serverID] = e.clock().Add(d)
}

// Images returns copies of every image of every type, sorted by id.
func (e *Emulator) Images() []Image {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.clock())
	return byID(e.images, (*Image).clone)
}

// byID returns view of each value of m, sorted by id.
func byID[V, T any](m map[int64]V, view func(V) T) []T {
	out := make([]T, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, view(m[id]))
	}
	return out
}

// Image returns a copy of one image.
func (e *Emulator) Image(id int64) (Image, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.clock())
	img, ok := e.images[id]
	if !ok {
		return Image{}, false
	}
	return img.clone(), true
}

// ImagesOfType returns copies of the images of the given types (all of them when none is
// given), sorted by id: what the API holds, whatever a client believes.
func (e *Emulator) ImagesOfType(types ...string) []Image {
	var out []Image
	for _, img := range e.Images() {
		if len(types) == 0 || slices.Contains(types, img.Type) {
			out = append(out, img)
		}
	}
	return out
}

// RemoveImage deletes an image whatever its protection, as a test's cleanup or an
// operator outside Terraform would; it reports whether the image existed.
func (e *Emulator) RemoveImage(id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.images[id]
	delete(e.images, id)
	return ok
}

// RemoveServer deletes a server as an operator outside Terraform would, whatever runs on it;
// its backups go with it, as with DELETE /servers/{id}. It reports whether the server existed.
func (e *Emulator) RemoveServer(id int64) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, ok := e.servers[id]
	if ok {
		e.disableBackups(s)
		delete(e.servers, id)
		delete(e.transitions, id)
	}
	return ok
}

// Servers returns copies of every server, sorted by id, as of the clock.
func (e *Emulator) Servers() []Server {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.clock())
	return byID(e.servers, (*Server).clone)
}

// Actions returns copies of every action, sorted by id, as of the clock.
func (e *Emulator) Actions() []Action {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.advance(e.clock())
	return byID(e.actions, (*actionState).view)
}
