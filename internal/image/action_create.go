package image

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/action"
	"github.com/hashicorp/terraform-plugin-framework/action/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

var (
	_ action.Action                   = (*createImageAction)(nil)
	_ action.ActionWithConfigure      = (*createImageAction)(nil)
	_ action.ActionWithValidateConfig = (*createImageAction)(nil)
	_ action.ActionWithModifyPlan     = (*createImageAction)(nil)
)

// createImageAction is hetzner_create_image: one image of a server, made on demand (terraform
// apply -invoke) or around a change of another resource (an action_trigger), with the
// resource's create sequence, and a rotation of the older images it made.
type createImageAction struct {
	client *hcloud.Client
}

// NewCreateImageAction returns the hetzner_create_image action.
func NewCreateImageAction() action.Action { return &createImageAction{} }

type createImageActionModel struct {
	ServerID                  types.Int64  `tfsdk:"server_id"`
	Type                      types.String `tfsdk:"type"`
	Description               types.String `tfsdk:"description"`
	Labels                    types.Map    `tfsdk:"labels"`
	ShutdownBeforeCreate      types.Bool   `tfsdk:"shutdown_before_create"`
	ShutdownTimeout           types.String `tfsdk:"shutdown_timeout"`
	PoweroffOnShutdownTimeout types.Bool   `tfsdk:"poweroff_on_shutdown_timeout"`
	Timeout                   types.String `tfsdk:"timeout"`
	KeepLast                  types.Int64  `tfsdk:"keep_last"`
}

func (a *createImageAction) Metadata(_ context.Context, req action.MetadataRequest, resp *action.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_create_image"
}

func (a *createImageAction) Schema(_ context.Context, _ action.SchemaRequest, resp *action.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Creates an image of a server: a **snapshot** by default, or a **backup**, with the API's " +
			"`create_image` server action. Run it on demand with `terraform apply -invoke=action.hetzner_create_image.NAME`, " +
			"or before a change of another resource with `lifecycle { action_trigger { ... } }` (for example a snapshot " +
			"before every resize of a server). It takes the image as `hetzner_image` does: with `shutdown_before_create` a " +
			"consistent one, with the server powered on again whatever happens; a create whose answer was lost is never " +
			"sent twice. The CLI shows the shutdown, the image's id, how far it is written and when it should end, the " +
			"power-on and what `keep_last` deleted; the last message names the image so that it can be imported. A failed " +
			"create fails the apply, so a change the action runs before is not made. The image is not managed by " +
			"Terraform afterwards (import it into a `hetzner_image` to manage it), but `keep_last` deletes the older " +
			"ones. Needs Terraform 1.14 or later: older CLIs and OpenTofu refuse a configuration with an `action` block " +
			"(everything else of the provider works there as before).",
		Attributes: map[string]schema.Attribute{
			"server_id": schema.Int64Attribute{
				MarkdownDescription: "ID of the server to image. A server that does not exist fails the plan.",
				Required:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "`snapshot` (the default) or `backup`. A backup needs a server with backups enabled, " +
					"is bound to it and is deleted with it.",
				Optional:   true,
				Validators: []validator.String{stringvalidator.OneOf(typeSnapshot, typeBackup)},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the image. When not set, the API generates one.",
				Optional:            true,
			},
			"labels": schema.MapAttribute{
				MarkdownDescription: descLabels + " They mark the images of this action for `keep_last`.",
				ElementType:         types.StringType,
				Optional:            true,
				Validators:          []validator.Map{labelsValidator{}},
			},
			"shutdown_before_create": schema.BoolAttribute{
				MarkdownDescription: descShutdownBeforeCreate + " Default `false`.",
				Optional:            true,
			},
			"shutdown_timeout": schema.StringAttribute{
				MarkdownDescription: descShutdownTimeout,
				Optional:            true,
				Validators:          []validator.String{shutdownTimeoutValidator},
			},
			"poweroff_on_shutdown_timeout": schema.BoolAttribute{
				MarkdownDescription: descPoweroffOnShutdownTimeout,
				Optional:            true,
			},
			"timeout": schema.StringAttribute{
				MarkdownDescription: "The create timeout: how long to wait for the image to be written, including waits for " +
					"a busy server and, with `shutdown_before_create`, the shutdown (powering the server on again has its own " +
					"10 minutes), as a duration such as `\"45m\"`. The `keep_last` deletions have 20 minutes of their own. " +
					"Default `\"90m\"`, as the create timeout of `hetzner_image`.",
				Optional:   true,
				Validators: []validator.String{positiveDuration("Invalid Timeout")},
			},
			"keep_last": schema.Int64Attribute{
				MarkdownDescription: "Once the new image is written, keep the newest `keep_last` images of the server of " +
					"this `type` whose labels include all of `labels` (the new one counts), and delete the older ones. " +
					"Needs `labels`, and counts every image of the server that carries them, whoever made it: give the " +
					"action's images labels that nothing else uses (an image you import into `hetzner_image` keeps its " +
					"labels, so change them or turn on its delete protection). A protected image is never deleted (a " +
					"warning names it), nor one still being written; an image whose copy failed takes no place among " +
					"the kept. A failed deletion is a warning, not a failure. Not set: nothing is deleted.",
				Optional: true,
			},
		},
	}
}

func (a *createImageAction) Configure(_ context.Context, req action.ConfigureRequest, resp *action.ConfigureResponse) {
	a.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (a *createImageAction) ValidateConfig(ctx context.Context, req action.ValidateConfigRequest, resp *action.ValidateConfigResponse) {
	var m createImageActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	validateLifecycle(ctx, req.Config.GetAttribute, &resp.Diagnostics)
	resp.Diagnostics.Append(keepLastCheck(m.KeepLast, m.Labels)...)
}

// keepLastCheck refuses a keep_last that could delete images this action did not make: one
// below 1, or one without labels to tell its images apart. Unknown values pass, which is why it
// runs at validate, at plan (values from variables are known only then) and before the invoke
// sends anything (values from other resources may be known only then).
func keepLastCheck(keepLast types.Int64, labels types.Map) diag.Diagnostics {
	var out diag.Diagnostics
	if keepLast.IsNull() || keepLast.IsUnknown() {
		return out
	}
	if n := keepLast.ValueInt64(); n < 1 {
		out.AddAttributeError(path.Root("keep_last"), "Invalid Keep Last", fmt.Sprintf(
			"keep_last = %d would keep no image, not even the one the action makes. Set keep_last to 1 or more "+
				"(the new image counts as one), or remove it to delete nothing.", n))
	}
	if !labels.IsUnknown() && len(labels.Elements()) == 0 {
		out.AddAttributeError(path.Root("keep_last"), "Keep Last Needs Labels",
			"keep_last deletes the older images of the server whose labels include all of labels; without labels it "+
				"would delete images this action did not make. Add labels that mark this action's images, such as "+
				"labels = { rotation = \"before-resize\" }, or remove keep_last.")
	}
	return out
}

// ModifyPlan looks the server up when the plan knows its id, so that a wrong server_id fails
// the plan, before anything is changed.
func (a *createImageAction) ModifyPlan(ctx context.Context, req action.ModifyPlanRequest, resp *action.ModifyPlanResponse) {
	var m createImageActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(keepLastCheck(m.KeepLast, m.Labels)...)
	id := m.ServerID
	if a.client == nil || id.IsNull() || id.IsUnknown() || resp.Diagnostics.HasError() {
		return
	}
	_, err := a.client.GetServer(ctx, id.ValueInt64())
	switch {
	case hcloud.IsNotFound(err):
		resp.Diagnostics.AddAttributeError(path.Root("server_id"), "Server Not Found", fmt.Sprintf(
			"No server with id %d exists in the project of this token, so no image can be made of it. Check server_id "+
				"(for a server Terraform manages, use its id attribute, such as hcloud_server.web.id) and the token's project.",
			id.ValueInt64()))
	case err != nil:
		resp.Diagnostics.Append(diags.AttributeAPIError(path.Root("server_id"), "Error Reading Server",
			fmt.Sprintf("reading server %d", id.ValueInt64()), err, ""))
	}
}

func (a *createImageAction) Invoke(ctx context.Context, req action.InvokeRequest, resp *action.InvokeResponse) {
	var m createImageActionModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if resp.Diagnostics.Append(keepLastCheck(m.KeepLast, m.Labels)...); resp.Diagnostics.HasError() {
		return // before anything is asked of the API
	}
	lbls, d := labelsFrom(ctx, m.Labels)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout := defaultCreateTimeout
	if !m.Timeout.IsNull() {
		timeout, _ = time.ParseDuration(m.Timeout.ValueString()) // validated
	}
	settings := lifecycleSettings{
		ShutdownBeforeCreate:      m.ShutdownBeforeCreate,
		ShutdownTimeout:           m.ShutdownTimeout,
		PoweroffOnShutdownTimeout: m.PoweroffOnShutdownTimeout,
	}.withDefaults()
	serverID := m.ServerID.ValueInt64()
	opts := hcloud.CreateImageOpts{Type: hcloud.ImageType(m.Type.ValueString()), Labels: lbls,
		Description: m.Description.ValueStringPointer()}
	if opts.Type == "" {
		opts.Type = hcloud.ImageTypeSnapshot
	}

	progress := newProgressSender(ctx, resp.SendProgress)
	defer progress.close()
	shutdown := settings.shutdownOpts()
	shutdown.Steps = progress.powerStep
	if !shutdown.Enabled {
		progress.say("Creating a %s of server %d", opts.Type, serverID)
	}
	var made *hcloud.Image
	watch := func(hcloud.ActionProgress) {}
	created := func(img *hcloud.Image) {
		made = img
		watch = progress.imageProgress(img.ID)
		progress.say("Image %d exists (a %s of server %d); it is being written", img.ID, img.Type, serverID)
	}
	createCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := a.client.CreateImageAndWait(createCtx, serverID, opts, shutdown, created, func(p hcloud.ActionProgress) { watch(p) })
	if err != nil {
		resp.Diagnostics.Append(createFailed(err, opts.Type, serverID, made)...)
		return
	}
	if !m.KeepLast.IsNull() {
		resp.Diagnostics.Append(a.rotate(ctx, progress, hcloud.RotateOpts{
			ServerID: serverID, Type: opts.Type, Labels: lbls, Keep: int(m.KeepLast.ValueInt64()), Made: made.ID,
		})...)
	}
	ready := fmt.Sprintf("Image %d is ready. To manage it with Terraform, import it: terraform import hetzner_image.NAME %d, "+
		"or an import block with id = \"%d\"", made.ID, made.ID, made.ID)
	if !m.KeepLast.IsNull() {
		ready += " (keep_last deletes it in a later run while it carries these labels: change them, or turn " +
			"on its delete protection, to keep it)"
	}
	progress.say("%s", ready)
}

// rotateTimeout bounds the keep_last deletions, as the resource's delete timeout does one.
const rotateTimeout = defaultDeleteTimeout

// rotate runs keep_last. Nothing it meets fails the action: the new image, the part that
// matters, exists; what it could not delete is a warning that names the image.
func (a *createImageAction) rotate(ctx context.Context, progress *progressSender, opts hcloud.RotateOpts) diag.Diagnostics {
	var out diag.Diagnostics
	ctx, cancel := context.WithTimeout(ctx, rotateTimeout)
	defer cancel()
	progress.say("keep_last = %d: keeping image %d and the newest older %ss of server %d labelled %s", opts.Keep,
		opts.Made, opts.Type, opts.ServerID, labelList(opts.Labels))
	r, err := a.client.RotateImages(ctx, opts, progress.rotated)
	if err != nil {
		// A warning: the image was made. It keeps the voice of an API error's detail.
		e := diags.APIError("Older Images Not Rotated", fmt.Sprintf("listing the %ss of server %d to apply keep_last", opts.Type, opts.ServerID),
			err, fmt.Sprintf("Image %d was made; nothing was deleted. The next run of the action deletes what is beyond keep_last.", opts.Made))
		out.AddWarning(e.Summary(), e.Detail())
		return out
	}
	for _, o := range r.Older {
		id := o.Image.ID
		switch o.Outcome {
		case hcloud.RotationProtected:
			out.AddAttributeWarning(path.Root("keep_last"), "Protected Image Kept", fmt.Sprintf(
				"Image %d is older than the %d kept by keep_last but has delete protection, so it was not deleted. "+
					"Lift its protection (hcloud image disable-protection %d delete) if it should go, or change its labels "+
					"so that keep_last no longer counts it.", id, opts.Keep, id))
		case hcloud.RotationWriting:
			out.AddAttributeWarning(path.Root("keep_last"), "Image Being Written Kept", fmt.Sprintf(
				"Image %d is older than the %d kept by keep_last but is still being written (by another create), so it "+
					"was not deleted. The next run deletes it if it is still beyond keep_last.", id, opts.Keep))
		case hcloud.RotationFailed:
			out.AddAttributeWarning(path.Root("keep_last"), "Older Image Not Deleted", diags.Detail(fmt.Sprintf(
				"Image %d is older than the %d kept by keep_last, and deleting it failed: %v", id, opts.Keep, o.Err),
				"The new image was made all the same. The next run tries again; or delete it yourself: hcloud image delete "+
					fmt.Sprint(id)))
		}
	}
	return out
}

// createFailed describes a create that did not end with a written image and a server as it
// was. made is the image, when the API made one: it is always named.
func createFailed(err error, typ hcloud.ImageType, serverID int64, made *hcloud.Image) diag.Diagnostics {
	var out diag.Diagnostics
	keep := ""
	if made != nil {
		keep = fmt.Sprintf("To manage image %[1]d, import it (terraform import hetzner_image.NAME %[1]d); or delete it "+
			"(hcloud image delete %[1]d). No older image was deleted.", made.ID)
	}
	if d, ok := powerDiagnostic(err, nil); ok {
		// The server comes first. An image written before the power-on failed is a usable one.
		out.Append(d)
		var off *hcloud.PowerOnError
		if made != nil && errors.As(err, &off) && off.Cause == nil {
			out.AddWarning("Image Written", fmt.Sprintf("Image %d of server %d was written before the power-on failed. %s",
				made.ID, serverID, keep))
			return out
		}
	}
	switch {
	case made != nil:
		out.Append(diags.APIError("Image Creation Did Not Finish",
			fmt.Sprintf("waiting for image %d of server %d to be written", made.ID, serverID), err,
			fmt.Sprintf("Image %[1]d exists in Hetzner Cloud but may not be usable: check it (hcloud image describe %[1]d). %[2]s",
				made.ID, keep)))
	case len(out) == 0:
		out.Append(diags.AttributeAPIError(path.Root("server_id"), "Error Creating Image",
			fmt.Sprintf("creating a %s of server %d", typ, serverID), err, actionCreateAdvice.hint(err)))
	}
	return out
}

// actionCreateAdvice is the resource's, in the action's terms: its timeout, and no state.
var actionCreateAdvice = createAdvice{
	hints: func() map[string]string {
		hints := maps.Clone(createHints)
		hints[hcloud.CodeLocked] = "The server stayed busy with other actions until the timeout ran out. Try again later, or raise timeout."
		return hints
	}(),
	mayExist: "An image may have been made all the same: look for an image of the server created just now " +
		"(it carries the action's labels) and import it (terraform import hetzner_image.NAME ID) or delete it.",
}

// labelList shows labels as a selector would: k=v, sorted by key.
func labelList(set map[string]string) string {
	terms := make([]string, 0, len(set))
	for _, k := range slices.Sorted(maps.Keys(set)) {
		terms = append(terms, k+"="+set[k])
	}
	return strings.Join(terms, ",")
}
