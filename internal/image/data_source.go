package image

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

var (
	_ datasource.DataSource                   = (*imageDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*imageDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*imageDataSource)(nil)
)

// The API's enum values, which the filters are validated against at plan time.
var (
	imageTypes    = []string{hcloud.ImageTypeSystem, hcloud.ImageTypeApp, hcloud.ImageTypeSnapshot, hcloud.ImageTypeBackup}
	imageStatuses = []string{hcloud.ImageStatusAvailable, hcloud.ImageStatusCreating, hcloud.ImageStatusUnavailable}
	architectures = []string{"x86", "arm"}
)

type imageDataSource struct {
	client *hcloud.Client
	now    func() time.Time // tells whether a deprecated image is still usable
}

// NewImageDataSource returns the hetzner_image data source.
func NewImageDataSource() datasource.DataSource { return &imageDataSource{now: time.Now} }

func (d *imageDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

// renamedInSingle are the image's own attributes that hetzner_image exposes under another
// name, because its type and status attributes are filters (sets of wanted values).
var renamedInSingle = map[string]string{"type": "image_type", "status": "image_status"}

func (d *imageDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := imageItemAttributes()
	for from := range renamedInSingle {
		delete(attrs, from)
	}
	attrs["image_type"] = schema.StringAttribute{Computed: true, MarkdownDescription: "The image's type: `system`, `app`, " +
		"`snapshot` or `backup`. (The `type` attribute is the filter.)"}
	attrs["image_status"] = schema.StringAttribute{Computed: true, MarkdownDescription: "The image's status: `available`, " +
		"`creating` or `unavailable`. (The `status` attribute is the filter.)"}

	// The lookup: exactly one of id, name and label_selector.
	attrs["id"] = schema.StringAttribute{
		MarkdownDescription: "Lookup by image ID (a numeric string). Exactly one of `id`, `name` and `label_selector` " +
			"must be set. The filters still apply: an image they exclude is not found. When looking up by name or " +
			"label selector, the ID of the image found.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{imageIDValidator},
	}
	attrs["name"] = schema.StringAttribute{
		MarkdownDescription: "Lookup by exact name, such as `ubuntu-24.04`. Only Hetzner's system and app images have " +
			"names. A name exists once per architecture, so when images of several architectures match, set " +
			"`architecture`: there is no default. Otherwise, the name of the image found (null for snapshots and backups).",
		Optional: true,
		Computed: true,
		Validators: []validator.String{
			stringvalidator.LengthAtLeast(1),
		},
	}
	attrs["label_selector"] = schema.StringAttribute{
		MarkdownDescription: "Lookup by label selector, such as `env=prod,role in (web,api),!legacy`: every term must " +
			"hold. Terms are `k=v` (or `k==v`), `k!=v`, `k` (key present), `!k` (key absent), `k in (v1,v2)` and " +
			"`k notin (v1,v2)`. Checked when Terraform plans.",
		Optional:   true,
		Validators: []validator.String{selectorValidator},
	}

	// The filters, on every lookup path.
	attrs["type"] = schema.SetAttribute{
		MarkdownDescription: "Filter: only images of these types (`system`, `app`, `snapshot`, `backup`). Default: any type.",
		ElementType:         types.StringType,
		Optional:            true,
		Validators:          enumSetValidators(imageTypes),
	}
	attrs["status"] = schema.SetAttribute{
		MarkdownDescription: "Filter: only images in these statuses (`available`, `creating`, `unavailable`). Default: any " +
			"status; set `[\"available\"]` to skip images that are still being written.",
		ElementType: types.StringType,
		Optional:    true,
		Validators:  enumSetValidators(imageStatuses),
	}
	attrs["architecture"] = schema.StringAttribute{
		MarkdownDescription: "Filter: only images of this CPU architecture, `x86` or `arm`. Default: any, but a name " +
			"lookup that matches several architectures is an error rather than a silent choice. Otherwise, the " +
			"architecture of the image found.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.String{stringvalidator.OneOf(architectures...)},
	}
	attrs["bound_to"] = schema.Int64Attribute{
		MarkdownDescription: "Filter: only backups bound to this server ID. Otherwise, for a backup, the ID of the server " +
			"it is bound to (and deleted with); null for other images.",
		Optional:   true,
		Computed:   true,
		Validators: []validator.Int64{int64validator.AtLeast(1)},
	}
	attrs["include_deprecated"] = schema.BoolAttribute{
		MarkdownDescription: "Also find deprecated images (Hetzner's older system images). Default `false`, like the " +
			"API, on every lookup path: an image looked up by ID that is deprecated is not found unless this is `true`. " +
			"A deprecated image found is reported with a warning that says until when it can be used.",
		Optional: true,
	}
	attrs["most_recent"] = schema.BoolAttribute{
		MarkdownDescription: "When several images match, take the newest (latest `created`, then highest ID) instead of " +
			"failing. Default `false`: several matches are an error that lists them.",
		Optional: true,
	}

	resp.Schema = schema.Schema{
		MarkdownDescription: "Reads exactly one image: a system or app image of Hetzner, or one of your snapshots and " +
			"backups. Look it up by `id`, `name` or `label_selector` (exactly one), narrowed by the filters `type`, " +
			"`status`, `architecture`, `bound_to` and `include_deprecated`, which apply on every path. No match, or " +
			"several matches without `most_recent`, is an error that restates the query. Because `type` and `status` " +
			"are filters (sets), the image's own type and status are `image_type` and `image_status`. Name lookups " +
			"read every page of the API's answer.",
		Attributes: attrs,
	}
}

func enumSetValidators(values []string) []validator.Set {
	return []validator.Set{
		setvalidator.SizeAtLeast(1),
		setvalidator.ValueStringsAre(stringvalidator.OneOf(values...)),
	}
}

// imageItemAttributes are the attributes of one image, read-only, as both data sources show
// them (hetzner_images as the items of its images list). The keys are imageItem's.
func imageItemAttributes() map[string]schema.Attribute {
	str := func(description string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: description, Computed: true}
	}
	return map[string]schema.Attribute{
		"id":          str("Image ID."),
		"name":        str("Unique name of a system or app image, such as `ubuntu-24.04`; null for snapshots and backups."),
		"type":        str("`system`, `app`, `snapshot` or `backup`."),
		"status":      str("`available`, `creating` (the disk is still being copied) or `unavailable`."),
		"description": str("Description of the image."),
		"labels": schema.MapAttribute{
			MarkdownDescription: "User labels; `{}` when there are none.",
			ElementType:         types.StringType,
			Computed:            true,
		},
		"delete_protection": schema.BoolAttribute{MarkdownDescription: "Whether the image is protected from deletion.", Computed: true},
		"image_size":        schema.Float64Attribute{MarkdownDescription: "Size of the image in GB, as billed; null while it is written.", Computed: true},
		"disk_size":         schema.Float64Attribute{MarkdownDescription: "Size in GB of the disk the image holds.", Computed: true},
		"created":           str("When the image was created (RFC 3339)."),
		"created_from": schema.SingleNestedAttribute{
			MarkdownDescription: "The server the image was made from, with the name it had then; null for system and app images.",
			Computed:            true,
			Attributes: map[string]schema.Attribute{
				"id":   schema.Int64Attribute{MarkdownDescription: "Server ID.", Computed: true},
				"name": schema.StringAttribute{MarkdownDescription: "Server name when the image was made.", Computed: true},
			},
		},
		"bound_to":     schema.Int64Attribute{MarkdownDescription: "For a backup, the ID of the server it is bound to (and deleted with); null for other images.", Computed: true},
		"os_flavor":    str("Operating system family, such as `ubuntu` or `debian` (`unknown` when the API cannot tell)."),
		"os_version":   str("Operating system version, such as `24.04`; null when unknown."),
		"architecture": str("CPU architecture: `x86` or `arm`."),
		"rapid_deploy": schema.BoolAttribute{MarkdownDescription: "Whether the image can be deployed rapidly.", Computed: true},
		"deprecated":   str("When the image was deprecated (RFC 3339); null unless deprecated. Only Hetzner's own images are deprecated."),
		"deprecation": schema.SingleNestedAttribute{
			MarkdownDescription: "Deprecation notice of the image, null unless deprecated.",
			Computed:            true,
			Attributes: map[string]schema.Attribute{
				"announced":         schema.StringAttribute{MarkdownDescription: "When the deprecation was announced (RFC 3339).", Computed: true},
				"unavailable_after": schema.StringAttribute{MarkdownDescription: "After this time (RFC 3339) the image can no longer be used.", Computed: true},
			},
		},
	}
}

// imageItemAttrTypes are the attribute types of one image object, taken from the schema so that
// the two cannot drift apart.
var imageItemAttrTypes = schema.NestedAttributeObject{Attributes: imageItemAttributes()}.
	Type().(basetypes.ObjectType).AttrTypes

func (d *imageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

// lookupAttributes are the ways to name the image; exactly one must be set.
var lookupAttributes = []string{"id", "name", "label_selector"}

func (d *imageDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var set []string
	unknown := false
	for _, name := range lookupAttributes {
		var v types.String
		resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root(name), &v)...)
		switch {
		case v.IsUnknown():
			unknown = true
		case !v.IsNull():
			set = append(set, name)
		}
	}
	filters := "The filters type, status, architecture, bound_to and include_deprecated narrow the lookup; " +
		"most_recent picks the newest of several matches."
	switch {
	case len(set) > 1:
		resp.Diagnostics.AddAttributeError(path.Root(set[1]), "Conflicting Image Lookups", diags.Detail(
			fmt.Sprintf("%s are set, but an image is looked up by exactly one of id, name and label_selector.",
				strings.Join(set, " and ")),
			"Keep one of them. "+filters))
	case len(set) == 0 && !unknown:
		resp.Diagnostics.AddError("Missing Image Lookup", diags.Detail(
			"None of id, name and label_selector is set, so there is no image to look up.",
			"Set exactly one of them. "+filters+" To list images by filters alone, use the hetzner_images data source."))
	}
}

// singleConfig is the part of hetzner_image's configuration that makes the query.
type singleConfig struct {
	ID                types.String
	Name              types.String
	LabelSelector     types.String
	Type              types.Set
	Status            types.Set
	Architecture      types.String
	BoundTo           types.Int64
	IncludeDeprecated types.Bool
	MostRecent        types.Bool
}

func readSingleQuery(ctx context.Context, config tfsdk.Config) (imageQuery, diag.Diagnostics) {
	var c singleConfig
	var diagnostics diag.Diagnostics
	get := func(name string, target any) {
		diagnostics.Append(config.GetAttribute(ctx, path.Root(name), target)...)
	}
	get("id", &c.ID)
	get("name", &c.Name)
	get("label_selector", &c.LabelSelector)
	get("type", &c.Type)
	get("status", &c.Status)
	get("architecture", &c.Architecture)
	get("bound_to", &c.BoundTo)
	get("include_deprecated", &c.IncludeDeprecated)
	get("most_recent", &c.MostRecent)
	q := imageQuery{
		Name:              c.Name.ValueString(),
		LabelSelector:     c.LabelSelector.ValueString(),
		BoundTo:           c.BoundTo.ValueInt64(),
		IncludeDeprecated: c.IncludeDeprecated.ValueBool(),
		MostRecent:        c.MostRecent.ValueBool(),
		oneArchitecture:   true,
	}
	if !c.ID.IsNull() {
		q.ID, _ = strconv.ParseInt(c.ID.ValueString(), 10, 64) // validated at plan time
	}
	if !c.Architecture.IsNull() {
		q.Architectures = []string{c.Architecture.ValueString()}
	}
	diagnostics.Append(stringSet(ctx, c.Type, &q.Types)...)
	diagnostics.Append(stringSet(ctx, c.Status, &q.Statuses)...)
	if err := q.parseSelector(); err != nil {
		diagnostics.AddAttributeError(path.Root("label_selector"), "Invalid Label Selector", err.Error())
	}
	return q, diagnostics
}

// stringSet reads a set of strings, sorted, into dst; a null set leaves dst nil.
func stringSet(ctx context.Context, set types.Set, dst *[]string) diag.Diagnostics {
	if set.IsNull() || set.IsUnknown() {
		return nil
	}
	var values []string
	d := set.ElementsAs(ctx, &values, false)
	slices.Sort(values)
	*dst = values
	return d
}

func (d *imageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	q, diagnostics := readSingleQuery(ctx, req.Config)
	resp.Diagnostics.Append(diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	img, diagnostics := findOneImage(ctx, d.client, q)
	resp.Diagnostics.Append(diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	if warning := deprecationWarning(img, d.now()); warning != "" {
		resp.Diagnostics.AddWarning("Deprecated Image", warning)
	}

	// The state starts as the configuration: the filters stay as written, and every attribute
	// of the image found is set from the one converter.
	item, diagnostics := imageItemFromAPI(img)
	resp.Diagnostics.Append(diagnostics...)
	obj, diagnostics := item.object(ctx, imageItemAttrTypes)
	resp.Diagnostics.Append(diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	values := obj.Attributes()
	for _, name := range slices.Sorted(maps.Keys(values)) {
		target := name
		if renamed, ok := renamedInSingle[name]; ok {
			target = renamed
		}
		resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root(target), values[name])...)
	}
}

// findOneImage resolves a hetzner_image query to exactly one image, or says why it cannot.
func findOneImage(ctx context.Context, client *hcloud.Client, q imageQuery) (*hcloud.Image, diag.Diagnostics) {
	var diagnostics diag.Diagnostics
	notFound := func(happened, next string) (*hcloud.Image, diag.Diagnostics) {
		diagnostics.AddError("No Image Found", diags.Detail(happened, next))
		return nil, diagnostics
	}

	if q.ID != 0 {
		img, err := client.GetImage(ctx, q.ID)
		if hcloud.IsNotFound(err) {
			return notFound(fmt.Sprintf("No image with id %d exists in the project of this token.", q.ID),
				"Check the id: images deleted outside Terraform disappear from the API. To find an image by its "+
					"properties instead, look it up by name or label_selector.")
		}
		if err != nil {
			diagnostics.Append(diags.APIError("Error Reading Image", fmt.Sprintf("reading image %d", q.ID), err, ""))
			return nil, diagnostics
		}
		if why := q.excludedBy(img); len(why) > 0 {
			return notFound(fmt.Sprintf("Image %d exists, but the filters exclude it: %s.", q.ID, strings.Join(why, "; ")),
				"Change or remove the filter, or look up another image.")
		}
		return img, diagnostics
	}

	images, err := client.AllImages(ctx, q.listOpts())
	if err != nil {
		diagnostics.Append(diags.APIError("Error Listing Images", "listing images with "+q.String(), err, ""))
		return nil, diagnostics
	}
	images = q.keep(images)
	sortNewestFirst(images)

	if len(images) == 0 {
		happened := fmt.Sprintf("No image matches %s.", q)
		if !q.IncludeDeprecated {
			happened += " Deprecated images were not searched."
		}
		next := "Check the query. To see what exists, list images with the hetzner_images data source and fewer filters"
		if !q.IncludeDeprecated {
			next += ", or set include_deprecated = true to search deprecated images too"
		}
		return notFound(happened, next+".")
	}

	// A name exists once per architecture: choosing one silently (as x86) would boot the wrong
	// build on the other, so the user must say which.
	if q.Name != "" && len(q.Architectures) == 0 {
		if byArch := idsByArchitecture(images); len(byArch) > 1 {
			var found []string
			for _, arch := range slices.Sorted(maps.Keys(byArch)) {
				found = append(found, fmt.Sprintf("%s (%s)", arch, byArch[arch]))
			}
			diagnostics.AddAttributeError(path.Root("architecture"), "Image Name Matches Several Architectures", diags.Detail(
				fmt.Sprintf("The name %q matches images of the architectures %s, and no architecture is set.",
					q.Name, strings.Join(found, ", ")),
				"Set architecture to the one your servers use (x86 or arm); the data source does not assume one."))
			return nil, diagnostics
		}
	}

	if len(images) > 1 && !q.MostRecent {
		diagnostics.AddError("Several Images Match", diags.Detail(
			fmt.Sprintf("%d images match %s, newest first:%s", len(images), q, candidatesText(images)),
			"Set most_recent = true to take the newest of them, or narrow the query with type, status, "+
				"architecture, bound_to or a more specific label_selector."))
		return nil, diagnostics
	}
	return &images[0], diagnostics
}

// idsByArchitecture groups image ids by architecture, as "id 1, id 2" per architecture.
func idsByArchitecture(images []hcloud.Image) map[string]string {
	ids := map[string][]string{}
	for _, img := range images {
		ids[img.Architecture] = append(ids[img.Architecture], "id "+strconv.FormatInt(img.ID, 10))
	}
	out := make(map[string]string, len(ids))
	for arch, list := range ids {
		out[arch] = strings.Join(list, ", ")
	}
	return out
}
