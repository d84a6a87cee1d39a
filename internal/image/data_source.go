package image

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/datasourcevalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

var (
	_ datasource.DataSource                     = (*imageDataSource)(nil)
	_ datasource.DataSourceWithConfigure        = (*imageDataSource)(nil)
	_ datasource.DataSourceWithConfigValidators = (*imageDataSource)(nil)
)

type imageDataSource struct {
	client *hcloud.Client
}

// NewImageDataSource returns the hetzner_image data source.
func NewImageDataSource() datasource.DataSource { return &imageDataSource{} }

// imageDataSourceModel is hetzner_image: the filters, and the image found. The image's own type
// and status are image_type and image_status, since type and status are filters (sets).
type imageDataSourceModel struct {
	imageFilters[types.Set]
	imageDetails
	ID           types.String `tfsdk:"id"`
	Architecture types.String `tfsdk:"architecture"`
	ImageType    types.String `tfsdk:"image_type"`
	ImageStatus  types.String `tfsdk:"image_status"`
}

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
	maps.Copy(attrs, commonFilters(hcloud.ImageTypes).dataSource())
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
	// The filters, on every lookup path.
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

// imageItemAttributes are the attributes of one image, read-only, as both data sources show
// them (hetzner_images as the items of its images list). The keys are imageItem's.
func imageItemAttributes() map[string]schema.Attribute {
	str := func(description string) schema.StringAttribute {
		return schema.StringAttribute{MarkdownDescription: description, Computed: true}
	}
	object := func(description string, attrs map[string]schema.Attribute) schema.SingleNestedAttribute {
		return schema.SingleNestedAttribute{MarkdownDescription: description, Computed: true, Attributes: attrs}
	}
	return map[string]schema.Attribute{
		"id":          str(descImageID),
		"name":        str("Unique name of a system or app image, such as `ubuntu-24.04`; null for snapshots and backups."),
		"type":        str("`system`, `app`, `snapshot` or `backup`."),
		"status":      str(descStatus),
		"description": str("Description of the image."),
		"labels": schema.MapAttribute{
			MarkdownDescription: "User labels; `{}` when there are none.",
			ElementType:         types.StringType,
			Computed:            true,
		},
		"delete_protection": schema.BoolAttribute{MarkdownDescription: "Whether the image is protected from deletion.", Computed: true},
		"image_size":        schema.Float64Attribute{MarkdownDescription: descImageSize, Computed: true},
		"disk_size":         schema.Float64Attribute{MarkdownDescription: descDiskSize, Computed: true},
		"created":           str(descCreated),
		"created_from": object(descCreatedFrom,
			map[string]schema.Attribute{
				"id":   schema.Int64Attribute{MarkdownDescription: descServerID, Computed: true},
				"name": str(descServerName),
			}),
		"bound_to":     schema.Int64Attribute{MarkdownDescription: descBoundTo, Computed: true},
		"os_flavor":    str(descOSFlavor),
		"os_version":   str(descOSVersion),
		"architecture": str(descArchitecture),
		"rapid_deploy": schema.BoolAttribute{MarkdownDescription: descRapidDeploy, Computed: true},
		"deprecated":   str(descDeprecated),
		"deprecation": object(descDeprecation, map[string]schema.Attribute{
			"announced":         str(descAnnounced),
			"unavailable_after": str(descUnavailable),
		}),
	}
}

// imageItemAttrTypes are the attribute types of one image object, taken from the schema so that
// the two cannot drift apart.
var imageItemAttrTypes = schema.NestedAttributeObject{Attributes: imageItemAttributes()}.
	Type().(basetypes.ObjectType).AttrTypes

func (d *imageDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

// ConfigValidators: an image is looked up by exactly one of id, name and label_selector.
func (d *imageDataSource) ConfigValidators(context.Context) []datasource.ConfigValidator {
	return []datasource.ConfigValidator{withNextStep{
		ConfigValidator: datasourcevalidator.ExactlyOneOf(path.MatchRoot("id"), path.MatchRoot("name"), path.MatchRoot("label_selector")),
		next: "Set exactly one of them. The filters type, status, architecture, bound_to and include_deprecated narrow the " +
			"lookup; most_recent picks the newest of several matches. To list images by filters alone, use the " +
			"hetzner_images data source.",
	}}
}

// withNextStep adds what to do next to the diagnostics of a framework validator.
type withNextStep struct {
	datasource.ConfigValidator
	next string
}

func (v withNextStep) ValidateDataSource(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	var inner datasource.ValidateConfigResponse
	v.ConfigValidator.ValidateDataSource(ctx, req, &inner)
	for _, d := range inner.Diagnostics {
		withNext := diag.NewErrorDiagnostic(d.Summary(), diags.Detail(d.Detail(), v.next))
		if p, ok := d.(diag.DiagnosticWithPath); ok {
			resp.Diagnostics.Append(diag.WithPath(p.Path(), withNext))
		} else {
			resp.Diagnostics.Append(withNext)
		}
	}
}

func (d *imageDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m imageDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	q, diagnostics := m.query(ctx)
	resp.Diagnostics.Append(diagnostics...)
	q.oneArchitecture = true
	if !m.Architecture.IsNull() {
		q.Architectures = []string{m.Architecture.ValueString()}
	}
	if !m.ID.IsNull() {
		var ok bool
		if q.ID, ok = parseImageID(m.ID.ValueString()); !ok {
			resp.Diagnostics.AddAttributeError(path.Root("id"), "Invalid Image ID", fmt.Sprintf(
				"%q is not an image id: image ids are positive whole numbers such as \"12345\".", m.ID.ValueString()))
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}
	img, diagnostics := findOneImage(ctx, d.client, q)
	resp.Diagnostics.Append(diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	if warning := deprecationWarning(img, d.client.Now()); warning != "" {
		resp.Diagnostics.AddWarning("Deprecated Image", warning)
	}

	// The filters stay as written; every attribute of the image found comes from the one
	// converter.
	it, diagnostics := imageItemFromAPI(img)
	resp.Diagnostics.Append(diagnostics...)
	m.imageDetails = it.imageDetails
	m.ID, m.Name, m.Architecture, m.BoundTo, m.ImageType, m.ImageStatus = it.ID, it.Name, it.Architecture, it.BoundTo, it.Type, it.Status
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
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

	images, diagnostics := listImages(ctx, client, q)
	if diagnostics.HasError() {
		return nil, diagnostics
	}
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

// listImages lists every image the query asks for: the API filters, nothing is filtered again.
func listImages(ctx context.Context, client *hcloud.Client, q imageQuery) ([]hcloud.Image, diag.Diagnostics) {
	images, err := client.AllImages(ctx, q.listOpts())
	if err != nil {
		return nil, diag.Diagnostics{diags.APIError("Error Listing Images", "listing images with "+q.String(), err, "")}
	}
	return images, nil
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
