package hcloud

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Image types and statuses as the API spells them.
const (
	ImageTypeSystem   = "system"
	ImageTypeApp      = "app"
	ImageTypeSnapshot = "snapshot"
	ImageTypeBackup   = "backup"

	ImageStatusAvailable   = "available"
	ImageStatusCreating    = "creating"
	ImageStatusUnavailable = "unavailable"
)

// Image is the API's image object.
type Image struct {
	ID           int64             `json:"id"`
	Type         string            `json:"type"`
	Status       string            `json:"status"`
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

// ImageListOpts are the filters of GET /images. Empty fields are left out of the query.
type ImageListOpts struct {
	Name              string
	Types             []string
	Statuses          []string
	Architectures     []string
	BoundTo           []int64
	LabelSelector     string
	IncludeDeprecated bool
	Sort              []string
	Page              int
	PerPage           int
}

func (o ImageListOpts) values() url.Values {
	q := url.Values{}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	q["type"] = o.Types
	q["status"] = o.Statuses
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
	if o.Page > 0 {
		q.Set("page", strconv.Itoa(o.Page))
	}
	if o.PerPage > 0 {
		q.Set("per_page", strconv.Itoa(o.PerPage))
	}
	for k, v := range q {
		if len(v) == 0 {
			delete(q, k)
		}
	}
	return q
}

// Pagination is the meta.pagination object of list answers.
type Pagination struct {
	Page         int `json:"page"`
	PerPage      int `json:"per_page"`
	PreviousPage int `json:"previous_page"` // 0 on the first page
	NextPage     int `json:"next_page"`     // 0 on the last page
	LastPage     int `json:"last_page"`
	TotalEntries int `json:"total_entries"`
}

// MaxPerPage is the largest page the API serves.
const MaxPerPage = 50

// ListImages returns one page of images.
func (c *Client) ListImages(ctx context.Context, opts ImageListOpts) ([]Image, Pagination, error) {
	var out struct {
		Images []Image `json:"images"`
		Meta   struct {
			Pagination Pagination `json:"pagination"`
		} `json:"meta"`
	}
	err := c.do(ctx, http.MethodGet, "/images", opts.values(), nil, &out)
	return out.Images, out.Meta.Pagination, err
}

// AllImages walks every page of the list with the largest page size, so N images cost
// ceil(N/50) requests. opts.Page and opts.PerPage are ignored.
func (c *Client) AllImages(ctx context.Context, opts ImageListOpts) ([]Image, error) {
	var all []Image
	opts.PerPage = MaxPerPage
	for page := 1; page > 0; {
		opts.Page = page
		images, p, err := c.ListImages(ctx, opts)
		if err != nil {
			return nil, err
		}
		all = append(all, images...)
		page = p.NextPage
	}
	return all, nil
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
	Type        string            // only "snapshot": converts a backup
	Labels      map[string]string // replaces the whole set; see UpdateImage
}

// UpdateImage changes an image. Labels replace the whole set; to clear every label pass a
// non-nil empty map, which is sent as {}.
func (c *Client) UpdateImage(ctx context.Context, id int64, opts ImageUpdateOpts) (*Image, error) {
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
	return c.retryBusy(ctx, func() error { return c.do(ctx, http.MethodDelete, imagePath(id), nil, nil, nil) }, IsBusy)
}

// SetImageProtection changes delete protection and waits for the API to finish the change.
// Setting protection to a value is idempotent, so a request whose answer was lost is simply
// sent again, like a request that found the image busy.
func (c *Client) SetImageProtection(ctx context.Context, id int64, deleteProtected bool) error {
	var out struct {
		Action Action `json:"action"`
	}
	body := map[string]bool{"delete": deleteProtected}
	err := c.retryBusy(ctx, func() error {
		return c.do(ctx, http.MethodPost, imagePath(id)+"/actions/change_protection", nil, body, &out)
	}, func(err error) bool { return IsBusy(err) || IsOutcomeUnknown(err) })
	if err != nil {
		return err
	}
	return c.WaitForActions(ctx, nil, &out.Action)
}

// WaitForImage waits until an image is written: through its create action when that is known,
// otherwise (an image adopted after a lost answer) by reading the image until it is no longer
// being created. progress, when not nil, sees every state of the action.
func (c *Client) WaitForImage(ctx context.Context, id int64, action *Action, progress func(Action)) error {
	if action != nil && action.ID != 0 {
		return c.WaitForActions(ctx, progress, action)
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
