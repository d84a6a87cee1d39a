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

// imageDetails are the attributes that every view of an image (the resource, the data source,
// each item of hetzner_images) shows under the same name.
type imageDetails struct {
	Description      types.String  `tfsdk:"description"`
	Labels           types.Map     `tfsdk:"labels"`
	DeleteProtection types.Bool    `tfsdk:"delete_protection"`
	ImageSize        types.Float64 `tfsdk:"image_size"`
	DiskSize         types.Float64 `tfsdk:"disk_size"`
	Created          types.String  `tfsdk:"created"`
	CreatedFrom      types.Object  `tfsdk:"created_from"`
	OSFlavor         types.String  `tfsdk:"os_flavor"`
	OSVersion        types.String  `tfsdk:"os_version"`
	RapidDeploy      types.Bool    `tfsdk:"rapid_deploy"`
	Deprecated       types.String  `tfsdk:"deprecated"`
	Deprecation      types.Object  `tfsdk:"deprecation"`
}

// imageState is what the resource and each item of hetzner_images show alike: the details, and
// the attributes that hetzner_image uses as filters.
type imageState struct {
	imageDetails
	ID           types.String `tfsdk:"id"`
	Status       types.String `tfsdk:"status"`
	Architecture types.String `tfsdk:"architecture"`
	BoundTo      types.Int64  `tfsdk:"bound_to"`
}

// imageItem is every attribute of one image, as hetzner_images lists it. imageItemFromAPI is
// the one place where the API's image becomes Terraform values; the resource and hetzner_image
// take their attributes from it, some under other names.
type imageItem struct {
	imageState
	Name types.String `tfsdk:"name"`
	Type types.String `tfsdk:"type"`
}

// object is the item as the value of one element of hetzner_images' images, built without the
// framework's reflection. Its keys are the tfsdk tags of imageItem and its embedded structs; a
// test compares it with the reflected value.
func (it *imageItem) object() (types.Object, diag.Diagnostics) {
	return types.ObjectValue(imageItemAttrTypes, map[string]attr.Value{
		"id":                it.ID,
		"name":              it.Name,
		"type":              it.Type,
		"status":            it.Status,
		"architecture":      it.Architecture,
		"bound_to":          it.BoundTo,
		"description":       it.Description,
		"labels":            it.Labels,
		"delete_protection": it.DeleteProtection,
		"image_size":        it.ImageSize,
		"disk_size":         it.DiskSize,
		"created":           it.Created,
		"created_from":      it.CreatedFrom,
		"os_flavor":         it.OSFlavor,
		"os_version":        it.OSVersion,
		"rapid_deploy":      it.RapidDeploy,
		"deprecated":        it.Deprecated,
		"deprecation":       it.Deprecation,
	})
}

var createdFromTypes = map[string]attr.Type{"id": types.Int64Type, "name": types.StringType}

var deprecationTypes = map[string]attr.Type{
	"announced":         types.StringType,
	"unavailable_after": types.StringType,
}

func imageItemFromAPI(img *hcloud.Image) (imageItem, diag.Diagnostics) {
	var it imageItem
	labels, diags := types.MapValueFrom(context.Background(), types.StringType, nonNil(img.Labels))
	it.ID = types.StringValue(strconv.FormatInt(img.ID, 10))
	it.Name = stringOrNull(img.Name)
	it.Type = types.StringValue(string(img.Type))
	it.Status = types.StringValue(string(img.Status))
	it.Architecture = types.StringValue(img.Architecture)
	it.BoundTo = types.Int64PointerValue(img.BoundTo)
	it.Description = types.StringValue(img.Description)
	it.Labels = labels
	it.DeleteProtection = types.BoolValue(img.Protection.Delete)
	it.ImageSize = types.Float64PointerValue(img.ImageSize)
	it.DiskSize = types.Float64Value(img.DiskSize)
	it.Created = types.StringValue(formatTime(img.Created))
	it.CreatedFrom = types.ObjectNull(createdFromTypes)
	if img.CreatedFrom != nil {
		it.CreatedFrom = types.ObjectValueMust(createdFromTypes, map[string]attr.Value{
			"id":   types.Int64Value(img.CreatedFrom.ID),
			"name": types.StringValue(img.CreatedFrom.Name),
		})
	}
	it.OSFlavor = types.StringValue(img.OSFlavor)
	it.OSVersion = stringOrNull(img.OSVersion)
	it.RapidDeploy = types.BoolValue(img.RapidDeploy)
	it.Deprecated = types.StringNull()
	if img.Deprecated != nil {
		it.Deprecated = types.StringValue(formatTime(*img.Deprecated))
	}
	it.Deprecation = types.ObjectNull(deprecationTypes)
	if img.Deprecation != nil {
		it.Deprecation = types.ObjectValueMust(deprecationTypes, map[string]attr.Value{
			"announced":         types.StringValue(formatTime(img.Deprecation.Announced)),
			"unavailable_after": types.StringValue(formatTime(img.Deprecation.UnavailableAfter)),
		})
	}
	return it, diags
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

// parseImageID reads an image id (a positive whole number, written as the API does); ok is
// false for anything else.
func parseImageID(s string) (id int64, ok bool) {
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0 && strconv.FormatInt(n, 10) == s
}
