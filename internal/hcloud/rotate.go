package hcloud

import (
	"cmp"
	"context"
	"errors"
)

// ErrRotationUnbounded refuses a rotation that could delete images it cannot tell apart from
// anyone else's: no labels to match, or nothing to keep.
var ErrRotationUnbounded = errors.New("a rotation needs labels to match and keeps at least one image")

// RotateOpts pick the images a rotation looks at, and how many of them it keeps: the images of
// one server and type whose labels include every one of Labels, newest first.
type RotateOpts struct {
	ServerID int64
	Type     ImageType         // snapshot when empty
	Labels   map[string]string // must not be empty: a rotation deletes only what it can tell apart
	Keep     int               // at least 1
	// Made is the image just created, which is always kept and counts as the newest, whether
	// or not the list shows it yet.
	Made int64
}

// RotationOutcome is what a rotation did with one image.
type RotationOutcome string

// The outcomes: kept as one of the newest, or, beyond them, what became of it.
const (
	RotationKept      RotationOutcome = "kept"
	RotationDeleted   RotationOutcome = "deleted"
	RotationProtected RotationOutcome = "protected" // delete protection is on: left alone
	RotationWriting   RotationOutcome = "writing"   // still being created (by someone else): left alone
	RotationFailed    RotationOutcome = "failed"    // the delete failed; Err says why
)

// RotatedImage is one image the rotation looked at and what became of it.
type RotatedImage struct {
	Image   Image
	Outcome RotationOutcome
	Err     error // for RotationFailed
}

// Rotation is the result of RotateImages: the ids kept, newest first (opts.Made first), and
// what became of the older images, newest first.
type Rotation struct {
	Kept  []int64
	Older []RotatedImage
}

// RotateImages keeps the newest opts.Keep images of a server and type whose labels include all
// of opts.Labels and deletes the older ones, one at a time. It never deletes a protected image
// nor one still being written (either is reported and left alone), nor opts.Made. A failed
// delete is reported and the rotation goes on with the next image: only a failure to list the
// images is returned as an error, and a rotation without labels or with nothing to keep is
// refused before any request (ErrRotationUnbounded). An image whose copy failed (unavailable)
// takes no place among the kept: it is rotated like an older one. report, when not nil, sees
// each image's outcome as it is known, newest first (opts.Made aside). The API's label selector
// narrows the list; a label with an empty value, which the selector leaves out, is compared here.
func (c *Client) RotateImages(ctx context.Context, opts RotateOpts, report func(RotatedImage)) (Rotation, error) {
	if len(opts.Labels) == 0 || opts.Keep < 1 {
		return Rotation{}, ErrRotationUnbounded
	}
	list := ImageListOpts{
		Types:         []ImageType{cmp.Or(opts.Type, ImageTypeSnapshot)},
		LabelSelector: selectorFor(opts.Labels),
		Sort:          []string{"created:desc", "id:desc"},
	}
	images, err := c.AllImages(ctx, list)
	if err != nil {
		return Rotation{}, err
	}
	var r Rotation
	if opts.Made != 0 {
		r.Kept = append(r.Kept, opts.Made)
	}
	for i := range images {
		img := images[i]
		if img.ID == opts.Made || img.CreatedFrom == nil || img.CreatedFrom.ID != opts.ServerID || !hasLabels(img.Labels, opts.Labels) {
			continue
		}
		if len(r.Kept) < opts.Keep && img.Status != ImageStatusUnavailable {
			r.Kept = append(r.Kept, img.ID)
			if report != nil {
				report(RotatedImage{Image: img, Outcome: RotationKept})
			}
			continue
		}
		done := RotatedImage{Image: img, Outcome: RotationDeleted}
		switch {
		case img.Protection.Delete:
			done.Outcome = RotationProtected
		case img.Status == ImageStatusCreating:
			done.Outcome = RotationWriting
		default:
			err := c.DeleteImage(ctx, img.ID)
			switch {
			case err == nil, IsNotFound(err): // gone either way
			case IsAPIError(err, CodeProtected): // protected since it was listed
				done.Outcome = RotationProtected
			default:
				done.Outcome, done.Err = RotationFailed, err
			}
		}
		c.log(ctx, "rotating images", map[string]any{"image_id": img.ID, "outcome": string(done.Outcome)})
		r.Older = append(r.Older, done)
		if report != nil {
			report(done)
		}
	}
	return r, nil
}

// hasLabels reports whether have includes every label of want, value for value.
func hasLabels(have, want map[string]string) bool {
	for k, v := range want {
		if got, ok := have[k]; !ok || got != v {
			return false
		}
	}
	return true
}
