package image

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// A moved block from an hcloud_snapshot of the official provider takes over its state without
// touching the API: the snapshot is the same image, so re-creating it (a full disk copy) or
// removing and importing it by hand would be waste. The move maps what hcloud_snapshot keeps;
// the Read that Terraform runs right after fills everything else.

var _ resource.ResourceWithMoveState = (*imageResource)(nil)

const (
	snapshotSourceType          = "hcloud_snapshot"
	snapshotSourceSchemaVersion = 0
)

// registryHosts are the registries that publish the official provider and this one. A provider
// of the same name from another host is another provider.
var registryHosts = []string{"registry.terraform.io", "registry.opentofu.org"}

// isOfficialProvider reports whether a source provider address, in any form a CLI sends it,
// names hetznercloud/hcloud. Terraform sends the full address (host/namespace/type); OpenTofu
// has sent the full address with its own registry host and, in some releases, the short forms
// "hetznercloud/hcloud" or "hcloud".
func isOfficialProvider(address string) bool {
	return providerAddressIs(address, "hetznercloud", "hcloud")
}

// isThisProvider reports whether a source provider address names tf-hetzner/hetzner, the
// provider of the move's target. OpenTofu 1.12.6 sends it for the second and later instances of
// a resource that a moved block moves as a whole: it looks the source provider up in the prior
// state under the new address, where the first instance it moved has already put this provider.
// No hetzner provider has an hcloud_snapshot, so with that source type the address can only be
// this mistake, and the state is still the hcloud_snapshot's.
func isThisProvider(address string) bool {
	return providerAddressIs(address, "tf-hetzner", "hetzner")
}

// providerAddressIs compares a provider address with namespace/type segment by segment, right
// to left (type, namespace, then host); each segment present must match, so the short forms
// pass while a suffix match's near-misses ("example.com/nothetznercloud/hcloud") do not.
// Comparisons ignore case: host names do, and the CLIs lower-case namespaces and types.
func providerAddressIs(address, namespace, typ string) bool {
	segments := strings.Split(address, "/")
	if len(segments) > 3 {
		return false
	}
	want := [][]string{{typ}, {namespace}, registryHosts}
	for i := range segments {
		got := segments[len(segments)-1-i]
		if !slices.ContainsFunc(want[i], func(w string) bool { return strings.EqualFold(got, w) }) {
			return false
		}
	}
	return true
}

// snapshotSourceModel is the part of an hcloud_snapshot's state (schema version 0) that the move
// uses. The source state has a few more values, which the framework skips while decoding.
type snapshotSourceModel struct {
	ID          types.String `tfsdk:"id"`
	ServerID    types.Int64  `tfsdk:"server_id"`
	Description types.String `tfsdk:"description"`
	Labels      types.Map    `tfsdk:"labels"`
	Timeouts    types.Object `tfsdk:"timeouts"`
}

func snapshotSourceSchema() *schema.Schema {
	return &schema.Schema{
		Version: snapshotSourceSchemaVersion,
		Attributes: map[string]schema.Attribute{
			"id":          schema.StringAttribute{Computed: true},
			"server_id":   schema.Int64Attribute{Required: true},
			"description": schema.StringAttribute{Optional: true},
			"labels":      schema.MapAttribute{ElementType: types.StringType, Optional: true},
		},
		Blocks: map[string]schema.Block{
			"timeouts": schema.SingleNestedBlock{
				Attributes: map[string]schema.Attribute{"create": schema.StringAttribute{Optional: true}},
			},
		},
	}
}

func (r *imageResource) MoveState(context.Context) []resource.StateMover {
	return []resource.StateMover{{SourceSchema: snapshotSourceSchema(), StateMover: moveFromSnapshot}}
}

const moveSupported = "hetzner_image takes over the state of hcloud_snapshot resources (schema version 0) " +
	"of the official provider hetznercloud/hcloud (registry.terraform.io/hetznercloud/hcloud or " +
	"registry.opentofu.org/hetznercloud/hcloud)."

const moveInstead = "To adopt another image, remove the moved block and import the image by its ID: an import " +
	"block with to = hetzner_image.NAME and id = \"IMAGE_ID\", or terraform import."

func moveFromSnapshot(ctx context.Context, req resource.MoveStateRequest, resp *resource.MoveStateResponse) {
	tflog.Info(ctx, "moving resource state to hetzner_image", map[string]any{
		"source_provider_address": req.SourceProviderAddress,
		"source_type_name":        req.SourceTypeName,
		"source_schema_version":   req.SourceSchemaVersion,
	})
	source := fmt.Sprintf("The moved block's source is a %s of provider %q (schema version %d).",
		req.SourceTypeName, req.SourceProviderAddress, req.SourceSchemaVersion)
	if req.SourceTypeName != snapshotSourceType ||
		!isOfficialProvider(req.SourceProviderAddress) && !isThisProvider(req.SourceProviderAddress) {
		resp.Diagnostics.AddError("Unsupported Move Source", source+" "+moveSupported+"\n\n"+moveInstead)
		return
	}
	if req.SourceSchemaVersion != snapshotSourceSchemaVersion {
		resp.Diagnostics.AddError("Unsupported hcloud_snapshot Schema Version", source+" "+moveSupported+
			" This version of the hetzner provider does not know the state of a newer hcloud_snapshot.\n\n"+
			"Upgrade the hetzner provider, or remove the hcloud_snapshot from the state with a removed block "+
			"(lifecycle { destroy = false }) and import the image with an import block.")
		return
	}
	var src snapshotSourceModel
	if req.SourceState == nil {
		resp.Diagnostics.AddError("Unreadable hcloud_snapshot State", source+
			" Its state does not have the shape of hcloud_snapshot schema version 0 (id, server_id, description, labels).\n\n"+
			"Remove the hcloud_snapshot from the state with a removed block (lifecycle { destroy = false }) and "+
			"import the image with an import block.")
		return
	}
	resp.Diagnostics.Append(req.SourceState.Get(ctx, &src)...)
	if resp.Diagnostics.HasError() {
		return
	}
	if id, err := strconv.ParseInt(src.ID.ValueString(), 10, 64); err != nil || id < 1 {
		resp.Diagnostics.AddError("Unreadable hcloud_snapshot State", fmt.Sprintf(
			"%s Its id %q is not an image ID.\n\nImport the image by its ID with an import block instead of moving it.",
			source, src.ID.ValueString()))
		return
	}

	target := imageResourceModel{
		imageState: imageState{
			ID: src.ID,
			imageDetails: imageDetails{
				Description: src.Description,
				Labels:      src.Labels,
				CreatedFrom: types.ObjectNull(createdFromTypes),
				Deprecation: types.ObjectNull(deprecationTypes),
			},
		},
		ServerID: src.ServerID,
		Timeouts: timeouts.Value{Object: types.ObjectNull(timeoutTypes)},
	}
	if src.Labels.IsNull() {
		target.Labels = types.MapValueMust(types.StringType, map[string]attr.Value{})
	}
	// hcloud_snapshot knows a create timeout only; a configuration that keeps its timeouts block
	// then plans no change.
	if attrs := src.Timeouts.Attributes(); !src.Timeouts.IsNull() && attrs["create"] != nil && !attrs["create"].IsNull() {
		target.Timeouts = timeouts.Value{Object: types.ObjectValueMust(timeoutTypes, map[string]attr.Value{
			"create": attrs["create"], "update": types.StringNull(), "delete": types.StringNull(),
		})}
	}
	resp.Diagnostics.Append(resp.TargetState.Set(ctx, &target)...)
}
