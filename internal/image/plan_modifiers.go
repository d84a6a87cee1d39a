package image

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// typeChangeModifier allows the one type change the API has, backup → snapshot, as an in-place
// update, and stops every other change at plan time with the reason.
type typeChangeModifier struct{}

func (typeChangeModifier) Description(context.Context) string {
	return "backup may change to snapshot in place; a snapshot cannot become a backup"
}

func (m typeChangeModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (typeChangeModifier) PlanModifyString(_ context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	if req.State.Raw.IsNull() || req.StateValue.IsNull() || req.PlanValue.IsUnknown() {
		return
	}
	if req.StateValue.ValueString() == hcloud.ImageTypeSnapshot && req.PlanValue.ValueString() == hcloud.ImageTypeBackup {
		resp.Diagnostics.AddAttributeError(req.Path, "Snapshot Cannot Become A Backup",
			"This image is a snapshot, and the Hetzner Cloud API cannot turn a snapshot into a backup "+
				"(only backup → snapshot exists). Keep type = \"snapshot\", or declare a new hetzner_image "+
				"with type = \"backup\" for the server.")
	}
}

// boundToModifier knows bound_to ahead: it is cleared by a conversion to snapshot and otherwise
// never changes, so plans do not show it as "known after apply".
type boundToModifier struct{}

func (boundToModifier) Description(context.Context) string {
	return "null for snapshots; otherwise unchanged from the state"
}

func (m boundToModifier) MarkdownDescription(ctx context.Context) string { return m.Description(ctx) }

func (boundToModifier) PlanModifyInt64(ctx context.Context, req planmodifier.Int64Request, resp *planmodifier.Int64Response) {
	var typ types.String
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("type"), &typ)...)
	if typ.ValueString() == hcloud.ImageTypeSnapshot {
		resp.PlanValue = types.Int64Null()
		return
	}
	if !req.State.Raw.IsNull() && !req.PlanValue.IsNull() && req.PlanValue.IsUnknown() {
		resp.PlanValue = req.StateValue
	}
}
