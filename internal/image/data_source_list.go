package image

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

var (
	_ datasource.DataSource                   = (*imagesDataSource)(nil)
	_ datasource.DataSourceWithConfigure      = (*imagesDataSource)(nil)
	_ datasource.DataSourceWithValidateConfig = (*imagesDataSource)(nil)
)

type imagesDataSource struct {
	client *hcloud.Client
}

// NewImagesDataSource returns the hetzner_images data source.
func NewImagesDataSource() datasource.DataSource { return &imagesDataSource{} }

type imagesDataSourceModel struct {
	listFilters[types.Set]
	ID     types.String `tfsdk:"id"`
	Images types.List   `tfsdk:"images"`
}

func (d *imagesDataSource) Metadata(_ context.Context, req datasource.MetadataRequest, resp *datasource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_images"
}

func (d *imagesDataSource) Schema(_ context.Context, _ datasource.SchemaRequest, resp *datasource.SchemaResponse) {
	attrs := listingFilters(hcloud.ImageTypes).dataSource()
	maps.Copy(attrs, map[string]schema.Attribute{
		"id": schema.StringAttribute{
			MarkdownDescription: "Identifies the query (a hash of the filters and the order), so it stays the same " +
				"as long as the configuration does.",
			Computed: true,
		},
		// A list of objects rather than a list of nested attributes: the same value, but the
		// framework then finds each item's type in the list's type instead of rebuilding it from
		// the nested schema for every null value of every item, which for 5000 images cost more
		// CPU than everything else the provider does for them (see list_rpc_bench_test.go).
		"images": schema.ListAttribute{
			MarkdownDescription: "The images found, in the requested order. Each has the attributes of the " +
				"`hetzner_image` data source, with the image's own type and status as `type` and `status`:\n" +
				itemAttributesText(),
			Computed:    true,
			ElementType: imageItemType,
		},
	})
	resp.Schema = schema.Schema{
		MarkdownDescription: "Lists the images that match every filter given: Hetzner's system and app images and your " +
			"snapshots and backups. No filter lists every image that is not deprecated. Every page of the API's answer is " +
			"read, 50 images per request. No match is an empty list, not an error.",
		Attributes: attrs,
	}
}

func (d *imagesDataSource) Configure(_ context.Context, req datasource.ConfigureRequest, resp *datasource.ConfigureResponse) {
	d.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (d *imagesDataSource) ValidateConfig(ctx context.Context, req datasource.ValidateConfigRequest, resp *datasource.ValidateConfigResponse) {
	validateOrder(ctx, req.Config, &resp.Diagnostics)
}

func (d *imagesDataSource) Read(ctx context.Context, req datasource.ReadRequest, resp *datasource.ReadResponse) {
	var m imagesDataSourceModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	q, diagnostics := m.query(ctx, nil)
	resp.Diagnostics.Append(diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	images, diagnostics := listImages(ctx, d.client, q)
	resp.Diagnostics.Append(diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	m.ID = types.StringValue(q.id())
	list, diagnostics := imageList(images)
	resp.Diagnostics.Append(diagnostics...)
	if resp.Diagnostics.HasError() {
		return
	}
	resp.Diagnostics.Append(setWithList(ctx, &resp.State, &m, list)...)
}

// setWithList sets the state to the model with images = list. The framework's Set of a model
// converts every value of a list to Terraform's form, back, and to it again (its reflection
// checks each field that way); the thousands of items take that road once here, and only the
// model's few other attributes go through Set.
func setWithList(ctx context.Context, state *tfsdk.State, m *imagesDataSourceModel, list types.List) diag.Diagnostics {
	m.Images = types.ListNull(imageItemType)
	diagnostics := state.Set(ctx, m)
	m.Images = list
	if diagnostics.HasError() {
		return diagnostics
	}
	items, err := list.ToTerraformValue(ctx)
	var attrs map[string]tftypes.Value
	if err == nil {
		err = state.Raw.As(&attrs)
	}
	if err != nil {
		diagnostics.AddError("Error Writing Images", "Building the images attribute failed; this is a bug in the provider: "+err.Error())
		return diagnostics
	}
	attrs["images"] = items
	return append(diagnostics, state.Set(ctx, tftypes.NewValue(state.Raw.Type(), attrs))...)
}

// itemAttributesText lists the attributes of one item of images, a line each, with their schema
// descriptions (a list of objects has no descriptions of its own in the generated docs).
func itemAttributesText() string {
	attrs := imageItemAttributes()
	var b strings.Builder
	for _, name := range slices.Sorted(maps.Keys(attrs)) {
		fmt.Fprintf(&b, "  - `%s`: %s", name, attrs[name].GetMarkdownDescription())
		if nested, ok := attrs[name].(schema.SingleNestedAttribute); ok {
			for _, sub := range slices.Sorted(maps.Keys(nested.Attributes)) {
				fmt.Fprintf(&b, "\n    - `%s`: %s", sub, nested.Attributes[sub].GetMarkdownDescription())
			}
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// imageItemType is the type of one element of images.
var imageItemType = types.ObjectType{AttrTypes: imageItemAttrTypes}

// imageList is the images attribute for the API's images. Each item becomes an object value
// directly: the framework's reflection over a list of thousands of nested structs costs
// seconds, where building the values costs milliseconds.
func imageList(images []hcloud.Image) (types.List, diag.Diagnostics) {
	var diagnostics diag.Diagnostics
	elems := make([]attr.Value, 0, len(images))
	for i := range images {
		item, d := imageItemFromAPI(&images[i])
		diagnostics.Append(d...)
		obj, d := item.object()
		diagnostics.Append(d...)
		elems = append(elems, obj)
	}
	list, d := types.ListValue(imageItemType, elems)
	diagnostics.Append(d...)
	return list, diagnostics
}
