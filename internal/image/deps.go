package image

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/labels"
)

// Deps is what the image resource and data sources share within one provider process: the API
// client and the ids of the images this process created, so that reconciling a lost create
// answer never adopts an image that a sibling resource of the same apply already owns.
type Deps struct {
	Client *hcloud.Client

	mu      sync.Mutex
	claimed map[int64]bool
	servers map[int64]*sync.Mutex // one create request per server at a time, see createClaimed

	refresh refresher
}

// NewDeps returns the shared dependencies for a configured client.
func NewDeps(client *hcloud.Client) *Deps {
	return &Deps{Client: client, claimed: map[int64]bool{}}
}

// claim records that an image belongs to a resource of this process; it reports false when
// another resource had claimed it already.
func (d *Deps) claim(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.claimed[id] {
		return false
	}
	d.claimed[id] = true
	return true
}

// clockSkew is how far the API's clock may lag ours when we look for an image that a lost
// create request made. `created` has whole seconds, hence at least one.
const clockSkew = 2 * time.Second

// createImage creates an image of a server. A busy server (locked, or a conflict) is tried
// again until ctx ends, so many images of one server in one apply all succeed. When the
// answer to a create request is lost, the request may have made an image: from then on, before
// every new request, it looks for that image and adopts it, and creates again only when there
// is none. The action is nil for an adopted image.
func (d *Deps) createImage(ctx context.Context, serverID int64, opts hcloud.CreateImageOpts) (*hcloud.Image, *hcloud.Action, error) {
	start := time.Now()
	var lostSince time.Time // when the first request with a lost answer was sent
	for {
		if !lostSince.IsZero() {
			found, err := d.findLostImage(ctx, serverID, opts, lostSince)
			if err != nil {
				return nil, nil, fmt.Errorf("%w: the answer to an earlier create request was lost, "+
					"and looking for the image it may have made failed: %w", hcloud.ErrOutcomeUnknown, err)
			}
			if found != nil {
				tflog.Warn(ctx, "the answer to create_image was lost; adopting the image it made", map[string]any{"image_id": found.ID})
				return found, nil, nil
			}
		}
		requested := time.Now()
		img, action, err := d.createClaimed(ctx, serverID, opts)
		switch {
		case err == nil:
			return img, action, nil
		case busy(err):
			// After a lost answer, a busy server may be busy with our own image: the search
			// at the top of the loop finds it once it is listed.
			wait := d.Client.PollWait(time.Since(start))
			tflog.Info(ctx, "server is busy, trying again", map[string]any{"server_id": serverID, "wait": wait.String()})
			if serr := d.Client.Sleep(ctx, wait); serr != nil {
				return nil, nil, fmt.Errorf("%w (gave up waiting: %w)", err, serr)
			}
		case hcloud.IsOutcomeUnknown(err):
			if lostSince.IsZero() {
				lostSince = requested
			}
			tflog.Warn(ctx, "the answer to create_image was lost; looking for the image before trying again", map[string]any{"server_id": serverID})
			// Give the API a moment to list what the request made.
			if serr := d.Client.Sleep(ctx, d.Client.PollWait(time.Since(start))); serr != nil {
				return nil, nil, err
			}
		default:
			return nil, nil, err
		}
	}
}

// createClaimed sends one create request and claims the image it makes. Requests for one
// server are sent one at a time within this process, so that a search for a lost image never
// meets a sibling's image whose answer is still on its way (the API writes one image of a
// server at a time anyway).
func (d *Deps) createClaimed(ctx context.Context, serverID int64, opts hcloud.CreateImageOpts) (*hcloud.Image, *hcloud.Action, error) {
	mu := d.serverLock(serverID)
	mu.Lock()
	defer mu.Unlock()
	img, action, err := d.Client.CreateImage(ctx, serverID, opts)
	if err == nil {
		d.claim(img.ID)
	}
	return img, action, err
}

func (d *Deps) serverLock(serverID int64) *sync.Mutex {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.servers == nil {
		d.servers = map[int64]*sync.Mutex{}
	}
	if d.servers[serverID] == nil {
		d.servers[serverID] = &sync.Mutex{}
	}
	return d.servers[serverID]
}

// findLostImage looks for an image that matches a create request sent at or after `requested`
// and that no resource of this process owns yet, and claims it.
func (d *Deps) findLostImage(ctx context.Context, serverID int64, opts hcloud.CreateImageOpts, requested time.Time) (*hcloud.Image, error) {
	mu := d.serverLock(serverID)
	mu.Lock()
	defer mu.Unlock()
	typ := cmp.Or(opts.Type, hcloud.ImageTypeSnapshot)
	list := hcloud.ImageListOpts{Types: []string{typ}, Sort: []string{"created:asc", "id:asc"}}
	list.LabelSelector = selectorFor(opts.Labels)
	images, err := d.Client.AllImages(ctx, list)
	if err != nil {
		return nil, err
	}
	since := requested.Truncate(time.Second).Add(-clockSkew)
	for i := range images {
		img := &images[i]
		if img.CreatedFrom == nil || img.CreatedFrom.ID != serverID || img.Created.Before(since) ||
			(opts.Description != nil && img.Description != *opts.Description) ||
			!maps.Equal(nonNil(img.Labels), nonNil(opts.Labels)) {
			continue
		}
		if d.claim(img.ID) {
			return img, nil
		}
	}
	return nil, nil
}

// selectorFor builds a selector that narrows a list to images with the given labels. Pairs
// with an empty value are left out (how the API parses "k==" is not documented); the caller
// compares the labels exactly anyway.
func selectorFor(set map[string]string) string {
	terms := make([]string, 0, len(set))
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if set[k] != "" {
			terms = append(terms, k+"=="+set[k])
		}
	}
	return strings.Join(terms, ",")
}

// waitForImage waits until an image is no longer being created, for images whose create
// action is not known (one adopted after a lost answer).
func (d *Deps) waitForImage(ctx context.Context, id int64) error {
	start := time.Now()
	for {
		img, err := d.Client.GetImage(ctx, id)
		if err != nil {
			return err
		}
		switch img.Status {
		case hcloud.ImageStatusAvailable:
			return nil
		case hcloud.ImageStatusUnavailable:
			return fmt.Errorf("image %d became unavailable: writing it failed", id)
		}
		if err := d.Client.Sleep(ctx, d.Client.PollWait(time.Since(start))); err != nil {
			return fmt.Errorf("waiting for image %d: %w", id, err)
		}
	}
}

// setProtection changes delete protection and waits for the API to finish the change.
// Setting protection to a value is idempotent, so a request whose answer was lost is simply
// sent again, like a request that found the image busy.
func (d *Deps) setProtection(ctx context.Context, id int64, protect bool) error {
	var action *hcloud.Action
	err := d.retryBusy(ctx, func() (err error) {
		action, err = d.Client.ChangeImageProtection(ctx, id, protect)
		return err
	}, func(err error) bool { return busy(err) || hcloud.IsOutcomeUnknown(err) })
	if err != nil {
		return err
	}
	return d.Client.WaitForActions(ctx, nil, action)
}

// deleteImage deletes an image, waiting while it is locked (still being written).
func (d *Deps) deleteImage(ctx context.Context, id int64) error {
	return d.retryBusy(ctx, func() error { return d.Client.DeleteImage(ctx, id) }, busy)
}

// retryBusy calls op until it succeeds or fails in a way that trying again would not mend:
// while again(err) holds, it waits as the poll schedule says (a busy image or server frees up
// when its action ends) until ctx ends.
func (d *Deps) retryBusy(ctx context.Context, op func() error, again func(error) bool) error {
	start := time.Now()
	for {
		err := op()
		if err == nil || !again(err) {
			return err
		}
		tflog.Info(ctx, "the API is busy with the image or its server; trying again", map[string]any{"error": err.Error()})
		if serr := d.Client.Sleep(ctx, d.Client.PollWait(time.Since(start))); serr != nil {
			return fmt.Errorf("%w (gave up waiting: %w)", err, serr)
		}
	}
}

// busy reports an answer that says to come back later: another action holds the resource.
func busy(err error) bool { return hcloud.IsAPIError(err, hcloud.CodeLocked, hcloud.CodeConflict) }

const selectorPrefix = "selector:"

// findImport resolves an import id (a number, or selector:<label selector>) to a snapshot or
// backup. On failure it returns the diagnostic instead.
func (d *Deps) findImport(ctx context.Context, importID string) (*hcloud.Image, diag.Diagnostic) {
	usage := "Import an image by its numeric id (terraform import hetzner_image.NAME 12345) or by a label " +
		"selector that matches exactly one snapshot or backup (terraform import hetzner_image.NAME 'selector:env=prod,role=db')."
	var id int64
	if sel, ok := strings.CutPrefix(importID, selectorPrefix); ok {
		if _, err := labels.Parse(sel); err != nil {
			return nil, diag.NewErrorDiagnostic("Invalid Import Selector", err.Error()+".\n\n"+usage)
		}
		images, err := d.Client.AllImages(ctx, hcloud.ImageListOpts{
			LabelSelector: sel,
			Types:         []string{hcloud.ImageTypeSnapshot, hcloud.ImageTypeBackup},
			Sort:          []string{"id:asc"},
		})
		if err != nil {
			return nil, diags.APIError("Error Importing Image", "listing images with selector "+strconv.Quote(sel), err, "")
		}
		if len(images) != 1 {
			return nil, diag.NewErrorDiagnostic("Import Selector Must Match One Image", fmt.Sprintf(
				"The selector %q matches %d snapshots and backups; an import needs exactly one.%s\n\n"+
					"Narrow the selector (add a label term) or import by id.", sel, len(images), matchesText(images)))
		}
		id = images[0].ID
	} else {
		n, err := strconv.ParseInt(importID, 10, 64)
		if err != nil || n <= 0 {
			return nil, diag.NewErrorDiagnostic("Invalid Import ID", fmt.Sprintf("%q is neither an image id nor a selector.\n\n%s", importID, usage))
		}
		id = n
	}

	img, err := d.Client.GetImage(ctx, id)
	if hcloud.IsNotFound(err) {
		return nil, diag.NewErrorDiagnostic("Image Not Found", fmt.Sprintf("No image with id %d exists in the project of this token.", id))
	}
	if err != nil {
		return nil, diags.APIError("Error Importing Image", fmt.Sprintf("reading image %d", id), err, "")
	}
	if img.Type != hcloud.ImageTypeSnapshot && img.Type != hcloud.ImageTypeBackup {
		kind := "A System"
		if img.Type == hcloud.ImageTypeApp {
			kind = "An App"
		}
		return nil, diag.NewErrorDiagnostic("Cannot Import "+kind+" Image", fmt.Sprintf(
			"Image %d (%s) is %s image that Hetzner provides; hetzner_image manages only your snapshots and "+
				"backups. Read it with the hetzner_image data source instead.", id, img.Name, strings.ToLower(kind)))
	}
	d.claim(img.ID)
	d.remember(img)
	return img, nil
}

// matchesText lists the images a selector matched, for a diagnostic.
func matchesText(images []hcloud.Image) string {
	if len(images) == 0 {
		return ""
	}
	return " Matches:" + candidatesText(images)
}
