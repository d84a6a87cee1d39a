package image

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/float64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/int64planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/mapdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/labels"
)

// Default timeouts. Creating copies the server's whole disk, which takes long for large disks;
// 90 minutes matches the official provider.
const (
	defaultCreateTimeout = 90 * time.Minute
	defaultUpdateTimeout = 20 * time.Minute
	defaultDeleteTimeout = 20 * time.Minute
)

var (
	_ resource.Resource                   = (*imageResource)(nil)
	_ resource.ResourceWithConfigure      = (*imageResource)(nil)
	_ resource.ResourceWithImportState    = (*imageResource)(nil)
	_ resource.ResourceWithValidateConfig = (*imageResource)(nil)
)

type imageResource struct {
	client *hcloud.Client
}

// NewImageResource returns the hetzner_image resource.
func NewImageResource() resource.Resource { return &imageResource{} }

type imageResourceModel struct {
	imageState
	lifecycleSettings
	ServerID types.Int64    `tfsdk:"server_id"`
	Type     types.String   `tfsdk:"type"`
	Timeouts timeouts.Value `tfsdk:"timeouts"`
}

func (r *imageResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (r *imageResource) Schema(ctx context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := stringplanmodifier.UseStateForUnknown()
	resp.Schema = schema.Schema{
		MarkdownDescription: "An image of a server's disk: a **snapshot** (kept until you delete it) or a " +
			"**backup** (bound to its server and deleted with it). Creating one copies the server's disk; " +
			"set `shutdown_before_create` for a consistent one. Existing snapshots and backups can be imported " +
			"by id or by a label selector.\n\n" +
			"**Refresh cost:** the first seven images one Terraform command reads cost a request each. The eighth " +
			"reads the first page of the project's list of snapshots and backups (50 per request), which tells how " +
			"many pages there are; an image a page already read holds costs nothing. Any other image costs a request " +
			"of its own while the requests spent that way are fewer than the pages left; once they are as many, the " +
			"remaining pages are read instead and answer the rest. So N managed images in a project of P snapshots " +
			"and backups never cost more than 2 × min(N, ⌈P/50⌉) + 6 requests: at most twice what a rule that knew N in advance would pay, plus six. " +
			"For example 100 images in a project of 100 cost 9 requests, 1000 of 1000 about 40, 50 of 5000 about 50. An " +
			"image the list lacks (deleted outside Terraform) is asked for by its id, one request more. The list " +
			"belongs to one command and answers each image once; an image the command changed is read anew.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{
				MarkdownDescription: descImageID,
				Computed:            true,
				PlanModifiers:       []planmodifier.String{keep},
			},
			"server_id": schema.Int64Attribute{
				MarkdownDescription: "ID of the server to image. Changing it creates a new image.",
				Required:            true,
				Validators:          []validator.Int64{int64validator.AtLeast(1)},
				PlanModifiers:       []planmodifier.Int64{int64planmodifier.RequiresReplace()},
			},
			"type": schema.StringAttribute{
				MarkdownDescription: "`snapshot` or `backup`; a new image is a `snapshot` unless set. A backup needs a " +
					"server with backups enabled, is bound to it and is deleted with it. Changing `backup` to `snapshot` " +
					"converts the image in place (it is then no longer bound to the server); a snapshot cannot become a " +
					"backup. Leaving the argument out keeps an existing image's type, so an imported backup stays a backup.",
				Optional:      true,
				Computed:      true,
				Validators:    []validator.String{stringvalidator.OneOf(typeSnapshot, typeBackup)},
				PlanModifiers: []planmodifier.String{typeChangeModifier{}},
			},
			"description": schema.StringAttribute{
				MarkdownDescription: "Description of the image. When not set, the API generates one, which is kept in the state.",
				Optional:            true,
				Computed:            true,
				PlanModifiers:       []planmodifier.String{keep},
			},
			"labels": schema.MapAttribute{
				MarkdownDescription: descLabels + " The set replaces the image's labels as a whole. Default `{}`.",
				ElementType:         types.StringType,
				Optional:            true,
				Computed:            true,
				Default:             mapdefault.StaticValue(types.MapValueMust(types.StringType, map[string]attr.Value{})),
				Validators:          []validator.Map{labelsValidator{}},
			},
			"delete_protection": schema.BoolAttribute{
				MarkdownDescription: "Protects the image from deletion, in Terraform and everywhere else. While it is " +
					"`true`, `terraform destroy` refuses to delete the image: set it to `false` and apply first. The API " +
					"protects snapshots only. Default `false`.",
				Optional: true,
				Computed: true,
				Default:  booldefault.StaticBool(false),
			},
			"status":     computedString(descStatus, keep),
			"image_size": schema.Float64Attribute{MarkdownDescription: descImageSize, Computed: true, PlanModifiers: []planmodifier.Float64{float64planmodifier.UseStateForUnknown()}},
			"disk_size":  schema.Float64Attribute{MarkdownDescription: descDiskSize, Computed: true, PlanModifiers: []planmodifier.Float64{float64planmodifier.UseStateForUnknown()}},
			"created":    computedString(descCreated, keep),
			"created_from": computedObject(descCreatedFrom, map[string]schema.Attribute{
				"id":   schema.Int64Attribute{MarkdownDescription: descServerID, Computed: true},
				"name": computedString(descServerName),
			}),
			"bound_to": schema.Int64Attribute{
				MarkdownDescription: descBoundTo,
				Computed:            true,
				PlanModifiers:       []planmodifier.Int64{boundToModifier{}},
			},
			"os_flavor":    computedString(descOSFlavor, keep),
			"os_version":   computedString(descOSVersion, keep),
			"architecture": computedString(descArchitecture+" Taken from the server the image was made from.", keep),
			"rapid_deploy": schema.BoolAttribute{MarkdownDescription: descRapidDeploy, Computed: true, PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()}},
			"deprecated":   computedString(descDeprecated, keep),
			"deprecation": computedObject(descDeprecation, map[string]schema.Attribute{
				"announced":         computedString(descAnnounced),
				"unavailable_after": computedString(descUnavailable),
			}),
		},
		Blocks: map[string]schema.Block{
			"timeouts": timeouts.Block(ctx, timeouts.Opts{
				Create: true, Update: true, Delete: true,
				CreateDescription: "How long to wait for the image to be written, including waits for a busy server and, with " +
					"`shutdown_before_create`, the shutdown (powering the server on again has its own 10 minutes). Default `90m`.",
				UpdateDescription: "How long to wait for an update and its protection change. Default `20m`.",
				DeleteDescription: "How long to wait for the deletion, including waits while the image is still being created. Default `20m`.",
			}),
		},
	}
	maps.Copy(resp.Schema.Attributes, lifecycleAttributes())
}

func computedString(description string, modifiers ...planmodifier.String) schema.StringAttribute {
	return schema.StringAttribute{MarkdownDescription: description, Computed: true, PlanModifiers: modifiers}
}

// computedObject is a nested attribute that the API sets, kept from the state while planned.
func computedObject(description string, attrs map[string]schema.Attribute) schema.SingleNestedAttribute {
	return schema.SingleNestedAttribute{MarkdownDescription: description, Computed: true, Attributes: attrs,
		PlanModifiers: []planmodifier.Object{objectplanmodifier.UseStateForUnknown()}}
}

func (r *imageResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (r *imageResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var typ types.String
	var protect types.Bool
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("type"), &typ)...)
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("delete_protection"), &protect)...)
	if typ.ValueString() == typeBackup && protect.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("delete_protection"), "Backups Cannot Be Protected",
			"The Hetzner Cloud API protects snapshots only, so delete_protection = true needs type = \"snapshot\". "+
				"Set type = \"snapshot\" (an existing backup is converted in place) or remove delete_protection.")
	}
	validateLifecycle(ctx, req.Config.GetAttribute, &resp.Diagnostics)
}

func (r *imageResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	var plan imageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	timeout, d := plan.Timeouts.Create(ctx, defaultCreateTimeout)
	resp.Diagnostics.Append(d...)
	lbls, d := labelsFrom(ctx, plan.Labels)
	resp.Diagnostics.Append(d...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	serverID := plan.ServerID.ValueInt64()
	opts := hcloud.CreateImageOpts{Type: hcloud.ImageType(plan.Type.ValueString()), Labels: lbls}
	if !plan.Description.IsUnknown() && !plan.Description.IsNull() {
		opts.Description = plan.Description.ValueStringPointer()
	}
	// The image is recorded as soon as it exists, before the wait: if the wait fails or times
	// out, Terraform keeps it in the state as tainted and replaces it on the next apply,
	// instead of losing track of it.
	state := plan
	var made *hcloud.Image
	progress := func(hcloud.ActionProgress) {}
	record := func(img *hcloud.Image) {
		made = img
		progress = progressLogger(ctx, img.ID)
		resp.Diagnostics.Append(state.fromAPIAll(img)...)
		resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, img.ID)...)
	}
	img, err := r.client.CreateImageAndWait(ctx, serverID, opts, plan.shutdownOpts(), record,
		func(p hcloud.ActionProgress) { progress(p) })
	if d, ok := powerDiagnostic(err, made); ok {
		resp.Diagnostics.Append(d)
		return
	}
	if err != nil && made == nil {
		resp.Diagnostics.Append(diags.AttributeAPIError(path.Root("server_id"), "Error Creating Image",
			fmt.Sprintf("creating a %s of server %d", opts.Type, serverID), err, resourceCreateAdvice.hint(err)))
		return
	}
	if resp.Diagnostics.HasError() {
		return
	}
	tainted := taintedDetail(made.ID)
	if err != nil {
		resp.Diagnostics.Append(diags.APIError("Image Creation Did Not Finish",
			fmt.Sprintf("waiting for image %d of server %d to be written", made.ID, serverID), err, tainted))
		return
	}
	if plan.DeleteProtection.ValueBool() {
		if err := r.client.SetImageProtection(ctx, img.ID, true); err != nil {
			resp.Diagnostics.Append(diags.APIError("Error Protecting Image",
				fmt.Sprintf("enabling delete protection of image %d", img.ID), err, tainted))
			// The protection may have been set all the same; the state must say so, or the
			// replacement's delete would stop on it without explanation.
			readCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if img, gerr := r.client.GetImage(readCtx, img.ID); gerr == nil {
				state.DeleteProtection = types.BoolValue(img.Protection.Delete)
				resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
			}
			return
		}
	}
	created, err := r.client.ReadCreatedImage(ctx, made.ID)
	if err != nil {
		resp.Diagnostics.Append(diags.APIError("Error Reading Image",
			fmt.Sprintf("reading image %d after creating it", made.ID), err, tainted))
		return
	}
	resp.Diagnostics.Append(state.fromAPIAll(created)...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// fixFields is the next step after an invalid_input answer, which names the fields.
const fixFields = "Fix the fields the API names above."

// createHints are the next steps after a failed create, by the API's error code.
var createHints = map[string]string{
	hcloud.CodeNotFound:     "Check server_id: the server does not exist in the project of this token.",
	hcloud.CodeLocked:       "The server stayed busy with other actions until the create timeout ran out. Try again later, or raise timeouts.create.",
	hcloud.CodeUnsupported:  "A backup needs a server with backups enabled. Enable backups on the server, or create a snapshot instead.",
	hcloud.CodeInvalidInput: fixFields,
}

// updateHints are the next steps after a failed update or protection change.
var updateHints = map[string]string{
	hcloud.CodeInvalidInput: fixFields,
	hcloud.CodeNotFound:     "The image was deleted outside Terraform; run terraform apply again to create it anew.",
	hcloud.CodeUnsupported:  "The API protects snapshots only: convert the backup with type = \"snapshot\" first.",
}

// hint picks the next step for an API error by its code, or fallback.
func hint(err error, hints map[string]string, fallback string) string {
	var apiErr *hcloud.APIError
	if errors.As(err, &apiErr) {
		code := apiErr.Code
		if code == hcloud.CodeConflict { // busy, like locked
			code = hcloud.CodeLocked
		}
		if h, ok := hints[code]; ok {
			return h
		}
	}
	return fallback
}

// createAdvice words the next step after a create that made no image known, for the resource
// or the action, each in its own terms.
type createAdvice struct {
	hints    map[string]string // by the API's error code; a busy server gets hints[CodeLocked]
	mayExist string            // when the create may have been carried out all the same
	fallback string
}

func (a createAdvice) hint(err error) string {
	if hcloud.IsOutcomeUnknown(err) {
		var busy *hcloud.ServerBusyError
		if errors.As(err, &busy) {
			return a.hints[hcloud.CodeLocked] + " " + a.mayExist
		}
		return a.mayExist
	}
	return hint(err, a.hints, a.fallback)
}

var resourceCreateAdvice = createAdvice{
	hints: createHints,
	mayExist: "An image may have been made all the same. Look for a snapshot of the server created just now " +
		"and import it (terraform import, or an import block), or delete it, before applying again.",
	fallback: "Nothing was recorded in the state.",
}

func (r *imageResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	var state imageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	id := state.imageID(&resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	img, err := r.client.RefreshImage(ctx, id)
	if hcloud.IsNotFound(err) {
		why := ""
		if state.Type.ValueString() == string(hcloud.ImageTypeBackup) {
			// Backups vanish without anyone deleting them.
			why = " A backup is removed when a newer backup of its server needs its slot (a server keeps " +
				"seven), when backups are disabled on the server, or with the server; convert it to a " +
				"snapshot (type = \"snapshot\") to keep it."
		}
		resp.Diagnostics.AddWarning("Image Deleted Outside Terraform", fmt.Sprintf(
			"Image %s no longer exists in Hetzner Cloud, so it was removed from the Terraform state; "+
				"the next apply creates it again if the configuration still declares it.%s", state.ID.ValueString(), why))
		resp.State.RemoveResource(ctx)
		// The framework wants an identity after every Read without an error, even one that
		// removes the resource; a CLI without identity sends none to keep.
		resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, id)...)
		return
	}
	if err != nil {
		resp.Diagnostics.Append(diags.APIError("Error Reading Image", "reading image "+state.ID.ValueString(), err, ""))
		return
	}
	resp.Diagnostics.Append(state.fromAPIAll(img)...)
	state.lifecycleSettings = state.withDefaults()
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, img.ID)...)
}

func (r *imageResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	var plan, state imageResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	ctx, cancel, id := state.imageWithin(ctx, plan.Timeouts.Update, defaultUpdateTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	// Description, labels and the backup→snapshot conversion go in one PUT.
	var opts hcloud.ImageUpdateOpts
	changed := false
	if !plan.Description.IsUnknown() && !plan.Description.Equal(state.Description) {
		opts.Description = plan.Description.ValueStringPointer()
		changed = true
	}
	if !plan.Labels.Equal(state.Labels) {
		lbls, d := labelsFrom(ctx, plan.Labels)
		resp.Diagnostics.Append(d...)
		opts.Labels = nonNil(lbls)
		changed = true
	}
	if plan.Type.ValueString() == typeSnapshot && state.Type.ValueString() == typeBackup {
		opts.Type = hcloud.ImageTypeSnapshot
		changed = true
	}

	next := state
	next.Timeouts = plan.Timeouts
	// The settings only this provider reads take effect in the state alone.
	next.lifecycleSettings = plan.lifecycleSettings
	if changed {
		img, err := r.client.UpdateImage(ctx, id, opts)
		if err != nil {
			resp.Diagnostics.Append(diags.APIError("Error Updating Image", fmt.Sprintf("updating image %d", id), err, updateHint(err)))
			return
		}
		resp.Diagnostics.Append(next.fromAPIAll(img)...)
		// Save what the PUT did before the protection change, so a failure there loses nothing.
		resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
	}
	if !plan.DeleteProtection.Equal(state.DeleteProtection) {
		want := plan.DeleteProtection.ValueBool()
		if err := r.client.SetImageProtection(ctx, id, want); err != nil {
			resp.Diagnostics.Append(diags.AttributeAPIError(path.Root("delete_protection"), "Error Changing Delete Protection",
				fmt.Sprintf("setting delete protection of image %d to %t", id, want), err, updateHint(err)))
			return
		}
		next.DeleteProtection = types.BoolValue(want)
	}
	resp.Diagnostics.Append(resp.State.Set(ctx, &next)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, id)...)
}

func updateHint(err error) string { return hint(err, updateHints, "") }

func (r *imageResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state imageResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if state.SkipDestroy.ValueBool() {
		// Returning without an error removes the resource from the state; nothing is sent.
		resp.Diagnostics.AddWarning("Image Kept in Hetzner Cloud", fmt.Sprintf(
			"skip_destroy is set, so image %[1]s was removed from the Terraform state and left in Hetzner Cloud "+
				"(its delete protection, if any, unchanged). It is billed until you delete it. To manage it again, "+
				"import it: terraform import <resource address> %[1]s, or an import block with id = \"%[1]s\".",
			state.ID.ValueString()))
		return
	}
	if state.DeleteProtection.ValueBool() {
		resp.Diagnostics.AddAttributeError(path.Root("delete_protection"), "Image Is Protected From Deletion",
			protectedDetail(state.ID.ValueString()))
		return
	}
	ctx, cancel, id := state.imageWithin(ctx, state.Timeouts.Delete, defaultDeleteTimeout, &resp.Diagnostics)
	defer cancel()
	if resp.Diagnostics.HasError() {
		return
	}

	err := r.client.DeleteImage(ctx, id)
	switch {
	case err == nil, hcloud.IsNotFound(err):
	case hcloud.IsAPIError(err, hcloud.CodeProtected):
		resp.Diagnostics.AddAttributeError(path.Root("delete_protection"), "Image Is Protected From Deletion",
			protectedDetail(state.ID.ValueString())+" (The protection was turned on outside Terraform.)")
	default:
		resp.Diagnostics.Append(diags.APIError("Error Deleting Image", "deleting image "+state.ID.ValueString(), err,
			"The image is still in the state; run terraform destroy (or apply) again."))
	}
}

func protectedDetail(id string) string {
	return fmt.Sprintf("Image %s has delete protection, so it was not deleted. Terraform never lifts the protection "+
		"on its own: set delete_protection = false, run terraform apply, then destroy again.", id)
}

func (r *imageResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	var img *hcloud.Image
	var d diag.Diagnostic
	if req.ID == "" && req.Identity != nil { // import { identity = { id = 1234 } }, Terraform and OpenTofu 1.12+
		id, diagnostics := identityID(ctx, req.Identity)
		if resp.Diagnostics.Append(diagnostics...); resp.Diagnostics.HasError() {
			return
		}
		img, d = importByID(ctx, r.client, id)
	} else {
		img, d = findImport(ctx, r.client, req.ID)
	}
	if d != nil {
		resp.Diagnostics.Append(d)
		return
	}
	state, diagnostics := importedModel(img)
	resp.Diagnostics.Append(diagnostics...)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
	resp.Diagnostics.Append(setIdentity(ctx, resp.Identity, img.ID)...)
}

// importedModel is the resource as an import reads it: what the API says of the image, with the
// settings only this provider reads left null, so that their defaults apply.
func importedModel(img *hcloud.Image) (imageResourceModel, diag.Diagnostics) {
	var m imageResourceModel
	d := m.fromAPIAll(img)
	m.Timeouts = timeouts.Value{Object: types.ObjectNull(timeoutTypes)}
	return m, d
}

var timeoutTypes = map[string]attr.Type{
	"create": types.StringType, "update": types.StringType, "delete": types.StringType,
}

// fromAPIAll sets every attribute the API knows, including the resource's own.
func (m *imageResourceModel) fromAPIAll(img *hcloud.Image) diag.Diagnostics {
	it, d := imageItemFromAPI(img)
	m.imageState, m.Type = it.imageState, it.Type
	if m.ServerID.IsNull() || m.ServerID.IsUnknown() {
		// After an import the server comes from the image itself.
		switch {
		case img.CreatedFrom != nil:
			m.ServerID = types.Int64Value(img.CreatedFrom.ID)
		case img.BoundTo != nil:
			m.ServerID = types.Int64Value(*img.BoundTo)
		}
	}
	return d
}

// imageID returns the id of the image in the state; an id that is not one is an error
// diagnostic, never image 0.
func (m *imageResourceModel) imageID(diagnostics *diag.Diagnostics) int64 {
	id, ok := parseImageID(m.ID.ValueString())
	if !ok {
		diagnostics.AddAttributeError(path.Root("id"), "Invalid Image ID In State", fmt.Sprintf(
			"The state holds the id %q, which is not an image id (a positive whole number). Remove the resource "+
				"from the state (terraform state rm) and import the image by its id.", m.ID.ValueString()))
	}
	return id
}

// imageWithin returns the id of the image in the state and ctx bounded by the operation's
// timeout (Update or Delete of the configured timeouts, def when not set). Either failing to
// read is an error diagnostic; ctx is then returned unbounded.
func (m *imageResourceModel) imageWithin(ctx context.Context, timeout func(context.Context, time.Duration) (time.Duration, diag.Diagnostics),
	def time.Duration, diagnostics *diag.Diagnostics,
) (context.Context, context.CancelFunc, int64) {
	t, d := timeout(ctx, def)
	diagnostics.Append(d...)
	id := m.imageID(diagnostics)
	if diagnostics.HasError() {
		return ctx, func() {}, id
	}
	ctx, cancel := context.WithTimeout(ctx, t)
	return ctx, cancel, id
}

// progressLogger logs each new progress of the create, with the time waited so far and, once
// the progress allows an estimate, when the image is expected to be written.
func progressLogger(ctx context.Context, imageID int64) func(hcloud.ActionProgress) {
	last := -1
	return func(a hcloud.ActionProgress) {
		if a.Progress == last {
			return
		}
		last = a.Progress
		fields := map[string]any{
			"image_id": imageID, "action_id": a.ID, "status": a.Status, "progress": a.Progress,
			"elapsed": a.Elapsed.Round(time.Second).String(),
		}
		if !a.PredictedEnd.IsZero() {
			fields["predicted_end"] = a.PredictedEnd.UTC().Format(time.RFC3339)
		}
		tflog.Info(ctx, "writing image", fields)
	}
}

// configuredClient returns the client the provider configured, or nil before the provider is
// configured.
func configuredClient(data any, diagnostics *diag.Diagnostics) *hcloud.Client {
	if data == nil {
		return nil
	}
	client, ok := data.(*hcloud.Client)
	if !ok {
		diagnostics.AddError("Unexpected Provider Data", fmt.Sprintf("expected *hcloud.Client, got %T", data))
	}
	return client
}

const selectorPrefix = "selector:"

// findImport resolves an import id (a number, or selector:<label selector>) to a snapshot or
// backup. On failure it returns the diagnostic instead.
func findImport(ctx context.Context, client *hcloud.Client, importID string) (*hcloud.Image, diag.Diagnostic) {
	usage := "Import an image by its numeric id (terraform import hetzner_image.NAME 12345) or by a label " +
		"selector that matches exactly one snapshot or backup (terraform import hetzner_image.NAME 'selector:env=prod,role=db')."
	var id int64
	if sel, ok := strings.CutPrefix(importID, selectorPrefix); ok {
		if _, err := labels.Parse(sel); err != nil {
			return nil, diag.NewErrorDiagnostic("Invalid Import Selector", err.Error()+".\n\n"+usage)
		}
		images, err := client.AllImages(ctx, hcloud.ImageListOpts{
			LabelSelector: sel,
			Types:         hcloud.UserImageTypes,
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
	return importByID(ctx, client, id)
}

// importByID reads the image an import names, refusing Hetzner's own images.
func importByID(ctx context.Context, client *hcloud.Client, id int64) (*hcloud.Image, diag.Diagnostic) {
	img, err := client.GetImage(ctx, id)
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
	client.ClaimImage(img)
	return img, nil
}

// matchesText lists the images a selector matched, for a diagnostic.
func matchesText(images []hcloud.Image) string {
	if len(images) == 0 {
		return ""
	}
	return " Matches:" + candidatesText(images)
}
