package hcloud

import (
	"context"
	"fmt"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// ImageType is what an image is: Hetzner's own (system, app) or the project's (snapshot, backup).
type ImageType string

// The image types, as the API spells them.
const (
	ImageTypeSystem   ImageType = "system"
	ImageTypeApp      ImageType = "app"
	ImageTypeSnapshot ImageType = "snapshot"
	ImageTypeBackup   ImageType = "backup"
)

// ImageTypes are all image types, in the API's order.
var ImageTypes = []ImageType{ImageTypeSystem, ImageTypeApp, ImageTypeSnapshot, ImageTypeBackup}

// UserImageTypes are the types of the images a project makes itself, from its servers: the
// ones the provider manages.
var UserImageTypes = []ImageType{ImageTypeSnapshot, ImageTypeBackup}

// ImageStatus is how far an image is written.
type ImageStatus string

// The image statuses, as the API spells them.
const (
	ImageStatusAvailable   ImageStatus = "available"
	ImageStatusCreating    ImageStatus = "creating"
	ImageStatusUnavailable ImageStatus = "unavailable"
)

// ImageStatuses are all image statuses, in the API's order.
var ImageStatuses = []ImageStatus{ImageStatusAvailable, ImageStatusCreating, ImageStatusUnavailable}

// Image is the API's image object.
type Image struct {
	ID           int64             `json:"id"`
	Type         ImageType         `json:"type"`
	Status       ImageStatus       `json:"status"`
	Name         string            `json:"name"` // only system images have one
	Description  string            `json:"description"`
	ImageSize    *float64          `json:"image_size"` // null until the image is written
	DiskSize     float64           `json:"disk_size"`
	Created      time.Time         `json:"created"`
	CreatedFrom  *CreatedFrom      `json:"created_from"`
	BoundTo      *int64            `json:"bound_to"` // only backups are bound to a server
	OSFlavor     string            `json:"os_flavor"`
	OSVersion    string            `json:"os_version"`
	Architecture string            `json:"architecture"`
	RapidDeploy  bool              `json:"rapid_deploy"`
	Protection   Protection        `json:"protection"`
	Deprecated   *time.Time        `json:"deprecated"`
	Deprecation  *Deprecation      `json:"deprecation"`
	Deleted      *time.Time        `json:"deleted"`
	Labels       map[string]string `json:"labels"`
}

// CreatedFrom names the server an image was made from, as it was named then.
type CreatedFrom struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Protection is an image's protection settings.
type Protection struct {
	Delete bool `json:"delete"`
}

// Deprecation is the newer form of the deprecation notice of system images.
type Deprecation struct {
	Announced        time.Time `json:"announced"`
	UnavailableAfter time.Time `json:"unavailable_after"`
}

// DeprecationDates returns when an image was deprecated and when it stops being usable. The
// newer deprecation object says both; with only the older deprecated time, the image is usable
// for three more months, as hcloud-go's deprecationutil assumes.
func (img *Image) DeprecationDates() (announced, unavailable time.Time, deprecated bool) {
	switch {
	case img.Deprecation != nil:
		return img.Deprecation.Announced, img.Deprecation.UnavailableAfter, true
	case img.Deprecated != nil:
		return *img.Deprecated, img.Deprecated.AddDate(0, 3, 0), true
	}
	return time.Time{}, time.Time{}, false
}

// ImageListOpts are the filters of GET /images. Empty fields are left out of the query.
type ImageListOpts struct {
	Name              string
	Types             []ImageType
	Statuses          []ImageStatus
	Architectures     []string
	BoundTo           []int64
	LabelSelector     string
	IncludeDeprecated bool
	Sort              []string
}

func (o ImageListOpts) values() url.Values {
	q := url.Values{}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	for _, t := range o.Types {
		q.Add("type", string(t))
	}
	for _, s := range o.Statuses {
		q.Add("status", string(s))
	}
	q["architecture"] = o.Architectures
	for _, id := range o.BoundTo {
		q.Add("bound_to", strconv.FormatInt(id, 10))
	}
	if o.LabelSelector != "" {
		q.Set("label_selector", o.LabelSelector)
	}
	if o.IncludeDeprecated {
		q.Set("include_deprecated", "true")
	}
	q["sort"] = o.Sort
	for k, v := range q {
		if len(v) == 0 {
			delete(q, k)
		}
	}
	return q
}

// pagination is what the client reads of the meta.pagination object of list answers.
type pagination struct {
	NextPage int `json:"next_page"` // 0 on the last page
	LastPage int `json:"last_page"`
}

// maxPerPage is the largest page the API serves.
const maxPerPage = 50

// listImages returns one page of images, of the largest size the API serves.
func (c *Client) listImages(ctx context.Context, opts ImageListOpts, page int) ([]Image, pagination, error) {
	var out struct {
		Images []Image `json:"images"`
		Meta   struct {
			Pagination pagination `json:"pagination"`
		} `json:"meta"`
	}
	q := opts.values()
	q.Set("page", strconv.Itoa(page))
	q.Set("per_page", strconv.Itoa(maxPerPage))
	err := c.do(ctx, http.MethodGet, "/images", q, nil, &out)
	return out.Images, out.Meta.Pagination, err
}

// AllImages walks every page of the list with the largest page size, so N images cost
// ceil(N/50) requests.
func (c *Client) AllImages(ctx context.Context, opts ImageListOpts) ([]Image, error) {
	var all []Image
	for images, err := range c.ImagePages(ctx, opts) {
		if err != nil {
			return nil, err
		}
		all = append(all, images...)
	}
	return all, nil
}

// ImagePages yields the list page by page as the API answers, 50 images a page, and stops
// after the last page, after an error (yielded with no images) or when the caller stops: a
// caller that needs ten images pays for one request.
func (c *Client) ImagePages(ctx context.Context, opts ImageListOpts) iter.Seq2[[]Image, error] {
	return func(yield func([]Image, error) bool) {
		for page := 1; page > 0; {
			images, p, err := c.listImages(ctx, opts, page)
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(images, nil) {
				return
			}
			page = p.NextPage
		}
	}
}

// GetImage returns one image; a missing one is an APIError that IsNotFound recognises.
func (c *Client) GetImage(ctx context.Context, id int64) (*Image, error) {
	var out struct {
		Image Image `json:"image"`
	}
	if err := c.do(ctx, http.MethodGet, imagePath(id), nil, nil, &out); err != nil {
		return nil, err
	}
	return &out.Image, nil
}

// ImageUpdateOpts are the changes of PUT /images/{id}. Nil fields are left as they are.
type ImageUpdateOpts struct {
	Description *string
	Type        ImageType         // only ImageTypeSnapshot: converts a backup
	Labels      map[string]string // replaces the whole set; see UpdateImage
}

// UpdateImage changes an image. Labels replace the whole set; to clear every label pass a
// non-nil empty map, which is sent as {}.
func (c *Client) UpdateImage(ctx context.Context, id int64, opts ImageUpdateOpts) (*Image, error) {
	c.refresh.wrote(id)
	body := map[string]any{}
	if opts.Description != nil {
		body["description"] = *opts.Description
	}
	if opts.Type != "" {
		body["type"] = opts.Type
	}
	if opts.Labels != nil {
		body["labels"] = opts.Labels
	}
	var out struct {
		Image Image `json:"image"`
	}
	if err := c.do(ctx, http.MethodPut, imagePath(id), nil, body, &out); err != nil {
		return nil, err
	}
	return &out.Image, nil
}

// DeleteImage deletes an image, waiting while it is locked (still being written) or its
// server is busy.
func (c *Client) DeleteImage(ctx context.Context, id int64) error {
	c.refresh.wrote(id)
	return c.retryBusy(ctx, func() error { return c.do(ctx, http.MethodDelete, imagePath(id), nil, nil, nil) }, isBusy)
}

// SetImageProtection changes delete protection and waits for the API to finish the change.
// Setting protection to a value is idempotent, so a request whose answer was lost is simply
// sent again, like a request that found the image busy.
func (c *Client) SetImageProtection(ctx context.Context, id int64, deleteProtected bool) error {
	c.refresh.wrote(id)
	var out struct {
		Action Action `json:"action"`
	}
	body := map[string]bool{"delete": deleteProtected}
	err := c.retryBusy(ctx, func() error {
		return c.do(ctx, http.MethodPost, imagePath(id)+"/actions/change_protection", nil, body, &out)
	}, func(err error) bool { return isBusy(err) || IsOutcomeUnknown(err) })
	if err != nil {
		return err
	}
	return c.waitForActions(ctx, nil, &out.Action)
}

// waitForImage waits until an image is written: through its create action when that is known,
// otherwise (an image adopted after a lost answer) by reading the image until it is no longer
// being created. progress, when not nil, sees every state of the action.
func (c *Client) waitForImage(ctx context.Context, id int64, action *Action, progress func(ActionProgress)) error {
	if action != nil && action.ID != 0 {
		return c.waitForActions(ctx, progress, action)
	}
	err := c.poll(ctx, func() (bool, error) {
		img, err := c.GetImage(ctx, id)
		switch {
		case err != nil:
			return true, err
		case img.Status == ImageStatusUnavailable:
			return true, fmt.Errorf("image %d became unavailable: writing it failed", id)
		}
		return img.Status == ImageStatusAvailable, nil
	})
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("waiting for image %d: %w", id, err)
	}
	return err
}

func imagePath(id int64) string { return "/images/" + strconv.FormatInt(id, 10) }
