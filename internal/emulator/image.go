package emulator

import (
	"cmp"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"time"
)

// Image types and statuses as they appear on the wire.
const (
	ImageTypeSystem   = "system"
	ImageTypeApp      = "app"
	ImageTypeSnapshot = "snapshot"
	ImageTypeBackup   = "backup"

	ImageStatusAvailable   = "available"
	ImageStatusCreating    = "creating"
	ImageStatusUnavailable = "unavailable"
)

// Image is the emulator's image, JSON-tagged in the API's wire shape. Every
// key the spec requires is always encoded; nullable ones are pointers.
type Image struct {
	ID           int64             `json:"id"`
	Type         string            `json:"type"`
	Status       string            `json:"status"`
	Name         *string           `json:"name"`
	Description  string            `json:"description"`
	ImageSize    *float64          `json:"image_size"`
	DiskSize     float64           `json:"disk_size"`
	Created      time.Time         `json:"created"`
	CreatedFrom  *CreatedFrom      `json:"created_from"`
	BoundTo      *int64            `json:"bound_to"`
	OSFlavor     string            `json:"os_flavor"`
	OSVersion    *string           `json:"os_version"`
	Architecture string            `json:"architecture"`
	RapidDeploy  bool              `json:"rapid_deploy"`
	Protection   Protection        `json:"protection"`
	Deprecated   *time.Time        `json:"deprecated"`
	Deleted      *time.Time        `json:"deleted"`
	Labels       map[string]string `json:"labels"`
	// Deprecation is the newer object announced for 2026-09-08 (IMAGES-API.md
	// §2). It is derived from Deprecated by AddImage when left nil.
	Deprecation *Deprecation `json:"deprecation"`
}

// CreatedFrom names the server an image was made from, as it was named then.
type CreatedFrom struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Protection is the image's delete protection.
type Protection struct {
	Delete bool `json:"delete"`
}

// Deprecation is the image deprecation object that supersedes Deprecated.
type Deprecation struct {
	Announced        time.Time `json:"announced"`
	UnavailableAfter time.Time `json:"unavailable_after"`
}

func (img *Image) clone() Image {
	c := *img
	c.Labels = maps.Clone(img.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	return c
}

// userImage reports whether the image belongs to the user. System and app
// images are Hetzner's: they cannot be updated or deleted (403 forbidden,
// [assumed]).
func (img *Image) userImage() bool {
	return img.Type == ImageTypeSnapshot || img.Type == ImageTypeBackup
}

func forbiddenImage(img *Image) *apiError {
	return &apiError{status: http.StatusForbidden, code: "forbidden", message: fmt.Sprintf("image %d is a %s image and cannot be modified", img.ID, img.Type)}
}

func (e *Emulator) lookupImage(id int64) (*Image, *apiError) { return lookup(e.images, "image", id) }

type imageFilter struct {
	name              string
	types, statuses   []string
	architectures     []string
	boundTo           []int64
	includeDeprecated bool
	labels            selector
}

func parseImageFilter(rq *request) (imageFilter, *apiError) {
	q := rq.http.URL.Query()
	var f imageFilter
	var err *apiError
	f.name = q.Get("name")
	if f.types, err = enumParams(q, "type", ImageTypeSystem, ImageTypeApp, ImageTypeSnapshot, ImageTypeBackup); err != nil {
		return f, err
	}
	if f.statuses, err = enumParams(q, "status", ImageStatusAvailable, ImageStatusCreating, ImageStatusUnavailable); err != nil {
		return f, err
	}
	// The spec has one architecture, hcloud-go repeats it: accept both.
	if f.architectures, err = enumParams(q, "architecture", "x86", "arm"); err != nil {
		return f, err
	}
	if f.boundTo, err = idParams(q, "bound_to"); err != nil {
		return f, err
	}
	if v := q.Get("include_deprecated"); v != "" {
		b, convErr := strconv.ParseBool(v)
		if convErr != nil {
			return f, invalidInput("include_deprecated", "must be true or false")
		}
		f.includeDeprecated = b
	}
	sel, selErr := parseSelector(q.Get("label_selector"))
	if selErr != nil {
		return f, invalidInput("label_selector", selErr.Error())
	}
	f.labels = sel
	return f, nil
}

// keep decides on one image. An image counts as deprecated as soon as
// deprecated is set, whatever the date [assumed], like hcloud-go's
// IsDeprecated.
func (f imageFilter) keep(img *Image) bool {
	switch {
	case f.name != "" && (img.Name == nil || *img.Name != f.name),
		len(f.types) > 0 && !slices.Contains(f.types, img.Type),
		len(f.statuses) > 0 && !slices.Contains(f.statuses, img.Status),
		len(f.architectures) > 0 && !slices.Contains(f.architectures, img.Architecture),
		len(f.boundTo) > 0 && (img.BoundTo == nil || !slices.Contains(f.boundTo, *img.BoundTo)),
		!f.includeDeprecated && img.Deprecated != nil:
		return false
	}
	return f.labels.matches(img.Labels)
}

func compareImages(a, b *Image, field string) int {
	switch field {
	case "name":
		// A null name sorts before every string [assumed].
		return cmp.Compare(deref(a.Name), deref(b.Name))
	case "created":
		return a.Created.Compare(b.Created)
	default:
		return cmp.Compare(a.ID, b.ID)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (e *Emulator) listImages(rq *request) reply {
	filter, err := parseImageFilter(rq)
	if err != nil {
		return errorReply(err)
	}
	// Sort and page pointers, and copy only the page: a project of thousands of images is read
	// a page at a time, and copying every image for every page made large lists slow.
	matched := []*Image{}
	for _, img := range e.images {
		if filter.keep(img) {
			matched = append(matched, img)
		}
	}
	page, p, err := pageOf(rq, matched, compareImages, "id", "name", "created")
	if err != nil {
		return errorReply(err)
	}
	images := make([]Image, 0, len(page))
	for _, img := range page {
		images = append(images, img.clone())
	}
	return listReply(rq, "images", images, p)
}

type imageResponse struct {
	Image Image `json:"image"`
}

func (e *Emulator) getImage(rq *request) reply {
	img, err := e.lookupImage(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	return jsonReply(http.StatusOK, imageResponse{img.clone()})
}

// updateImage applies description, labels (the whole set) and the one type
// change the API allows: backup to snapshot, which unbinds the image from its
// server [assumed]. type=snapshot on a snapshot is a no-op.
func (e *Emulator) updateImage(rq *request) reply {
	img, err := e.lookupImage(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	if !img.userImage() {
		return errorReply(forbiddenImage(img))
	}
	body, err := decodeBody(rq.body)
	if err != nil {
		return errorReply(err)
	}
	desc, err := body.optString("description")
	if err != nil {
		return errorReply(err)
	}
	typ, err := body.optString("type")
	if err != nil {
		return errorReply(err)
	}
	if typ != nil && *typ != ImageTypeSnapshot {
		return errorReply(invalidInput("type", fmt.Sprintf("%q is not valid; the only allowed value is snapshot", *typ)))
	}
	labels, err := body.optLabels("labels")
	if err != nil {
		return errorReply(err)
	}

	if desc != nil {
		img.Description = *desc
	}
	if labels != nil {
		img.Labels = labels
	}
	if typ != nil && img.Type == ImageTypeBackup {
		img.Type = ImageTypeSnapshot
		img.BoundTo = nil
	}
	return jsonReply(http.StatusOK, imageResponse{img.clone()})
}

func (e *Emulator) deleteImage(rq *request) reply {
	img, err := e.lookupImage(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	if !img.userImage() {
		return errorReply(forbiddenImage(img))
	}
	if img.Protection.Delete {
		return errorReply(&apiError{status: http.StatusLocked, code: "protected", message: fmt.Sprintf("image %d is protected against deletion", img.ID)})
	}
	// Deleting an image that is still being copied is refused [assumed].
	for _, a := range e.actions {
		if a.Status == ActionStatusRunning && a.Command == commandCreateImage && a.involves("image", img.ID) {
			return errorReply(locked("image %d is locked by running action %d", img.ID, a.ID))
		}
	}
	delete(e.images, img.ID)
	return noContent()
}

// changeProtection changes the flag at once; the returned action only
// reports it. The spec allows it on snapshots only, so backups and
// Hetzner's images get unsupported_error [assumed].
func (e *Emulator) changeProtection(rq *request) reply {
	img, err := e.lookupImage(rq.params["id"])
	if err != nil {
		return errorReply(err)
	}
	body, err := decodeBody(rq.body)
	if err != nil {
		return errorReply(err)
	}
	del, err := body.optBool("delete")
	if err != nil {
		return errorReply(err)
	}
	if img.Type != ImageTypeSnapshot {
		return errorReply(unsupported("protection can only be changed on snapshots, image %d is a %s", img.ID, img.Type))
	}
	previous := img.Protection.Delete
	if del != nil {
		img.Protection.Delete = *del
	}
	a := e.startAction(commandChangeProtection, rq.now, e.opts.ActionDuration/10, []ActionResource{{ID: img.ID, Type: "image"}})
	a.imageID = img.ID
	a.previousProtection = &previous
	return jsonReply(http.StatusCreated, actionResponse{a.view()})
}

// imageSize is a plausible stored size for a finished image: compressed
// copies are a fraction of the disk.
func imageSize(diskSize float64) float64 {
	return float64(int64(diskSize*0.3*100+0.5)) / 100
}
