// Package image is everything about Hetzner Cloud images as Terraform sees them: the
// hetzner_image resource and the hetzner_image and hetzner_images data sources.
package image

import (
	"context"
	"strconv"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// imageFields are the attributes every view of an image shares: the resource, the data
// source, and each item of hetzner_images. imageFields.fromAPI is the one place where the API's
// image becomes Terraform values.
type imageFields struct {
	ID               types.String  `tfsdk:"id"`
	Description      types.String  `tfsdk:"description"`
	Labels           types.Map     `tfsdk:"labels"`
	DeleteProtection types.Bool    `tfsdk:"delete_protection"`
	Status           types.String  `tfsdk:"status"`
	ImageSize        types.Float64 `tfsdk:"image_size"`
	DiskSize         types.Float64 `tfsdk:"disk_size"`
	Created          types.String  `tfsdk:"created"`
	CreatedFrom      types.Object  `tfsdk:"created_from"`
	BoundTo          types.Int64   `tfsdk:"bound_to"`
	OSFlavor         types.String  `tfsdk:"os_flavor"`
	OSVersion        types.String  `tfsdk:"os_version"`
	Architecture     types.String  `tfsdk:"architecture"`
	RapidDeploy      types.Bool    `tfsdk:"rapid_deploy"`
	Deprecated       types.String  `tfsdk:"deprecated"`
	Deprecation      types.Object  `tfsdk:"deprecation"`
}

var createdFromTypes = map[string]attr.Type{"id": types.Int64Type, "name": types.StringType}

var deprecationTypes = map[string]attr.Type{
	"announced":         types.StringType,
	"unavailable_after": types.StringType,
}

func (f *imageFields) fromAPI(img *hcloud.Image) diag.Diagnostics {
	var diags diag.Diagnostics
	f.ID = types.StringValue(strconv.FormatInt(img.ID, 10))
	f.Description = types.StringValue(img.Description)
	labels, d := types.MapValueFrom(context.Background(), types.StringType, nonNil(img.Labels))
	diags.Append(d...)
	f.Labels = labels
	f.DeleteProtection = types.BoolValue(img.Protection.Delete)
	f.Status = types.StringValue(img.Status)
	f.ImageSize = types.Float64PointerValue(img.ImageSize)
	f.DiskSize = types.Float64Value(img.DiskSize)
	f.Created = types.StringValue(formatTime(img.Created))
	f.CreatedFrom = types.ObjectNull(createdFromTypes)
	if img.CreatedFrom != nil {
		f.CreatedFrom = types.ObjectValueMust(createdFromTypes, map[string]attr.Value{
			"id":   types.Int64Value(img.CreatedFrom.ID),
			"name": types.StringValue(img.CreatedFrom.Name),
		})
	}
	f.BoundTo = types.Int64PointerValue(img.BoundTo)
	f.OSFlavor = types.StringValue(img.OSFlavor)
	f.OSVersion = stringOrNull(img.OSVersion)
	f.Architecture = types.StringValue(img.Architecture)
	f.RapidDeploy = types.BoolValue(img.RapidDeploy)
	f.Deprecated = types.StringNull()
	if img.Deprecated != nil {
		f.Deprecated = types.StringValue(formatTime(*img.Deprecated))
	}
	f.Deprecation = types.ObjectNull(deprecationTypes)
	if img.Deprecation != nil {
		f.Deprecation = types.ObjectValueMust(deprecationTypes, map[string]attr.Value{
			"announced":         types.StringValue(formatTime(img.Deprecation.Announced)),
			"unavailable_after": types.StringValue(formatTime(img.Deprecation.UnavailableAfter)),
		})
	}
	return diags
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stringOrNull(s string) types.String {
	if s == "" {
		return types.StringNull()
	}
	return types.StringValue(s)
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

// labelsFrom returns the labels of a known map value, or nil when it is null or unknown.
func labelsFrom(ctx context.Context, m types.Map) (map[string]string, diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return nil, nil
	}
	out := map[string]string{}
	diags := m.ElementsAs(ctx, &out, false)
	return out, diags
}

// imageItem is one image as the data sources show it: the shared fields plus the image's name
// and type, which only the data sources expose as read-only values.
type imageItem struct {
	imageFields
	Name types.String `tfsdk:"name"`
	Type types.String `tfsdk:"type"`
}

func imageItemFromAPI(img *hcloud.Image) (imageItem, diag.Diagnostics) {
	var it imageItem
	diags := it.fromAPI(img)
	it.Name = stringOrNull(img.Name)
	it.Type = types.StringValue(img.Type)
	return it, diags
}

// object returns the item as an object of the given attribute types (those of the data
// sources' schema, see imageItemAttrTypes).
func (it imageItem) object(ctx context.Context, attrTypes map[string]attr.Type) (types.Object, diag.Diagnostics) {
	return types.ObjectValueFrom(ctx, attrTypes, it)
}
