package image

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// The types a hetzner_image can have, as the schema's strings.
var (
	typeSnapshot = string(hcloud.ImageTypeSnapshot)
	typeBackup   = string(hcloud.ImageTypeBackup)
)

// typeChangeModifier plans the image type. Left out of the configuration, it is `snapshot` for a
// new image and the image's own type afterwards: the conversion to snapshot cannot be undone, so
// it never happens because a line was deleted or a backup was imported. backup → snapshot is an
// in-place update; snapshot → backup is stopped at plan time with the reason, unless the image is
// being replaced anyway.
type typeChangeModifier struct{}

func (typeChangeModifier) Description(context.Context) string {
	return "snapshot for a new image, else unchanged unless set; backup may change to snapshot in place; a snapshot cannot become a backup"
}

func (m typeChangeModifier) MarkdownDescription(ctx context.Context) string {
	return m.Description(ctx)
}

func (typeChangeModifier) PlanModifyString(ctx context.Context, req planmodifier.StringRequest, resp *planmodifier.StringResponse) {
	creating := req.State.Raw.IsNull() || req.StateValue.IsNull()
	if req.ConfigValue.IsNull() {
		if creating {
			resp.PlanValue = types.StringValue(typeSnapshot)
		} else {
			resp.PlanValue = req.StateValue
		}
		return
	}
	if creating || req.PlanValue.IsUnknown() {
		return
	}
	var planServer, stateServer types.Int64
	resp.Diagnostics.Append(req.Plan.GetAttribute(ctx, path.Root("server_id"), &planServer)...)
	resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("server_id"), &stateServer)...)
	if !planServer.Equal(stateServer) {
		return // a new image replaces this one, of whatever type is declared
	}
	if req.StateValue.ValueString() == typeSnapshot && req.PlanValue.ValueString() == typeBackup {
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
	// The type as it will be: the plan's own value may still be unknown here, before the type's
	// modifier has run.
	var typ, stateType types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("type"), &typ)...)
	if !req.State.Raw.IsNull() {
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("type"), &stateType)...)
	}
	switch {
	case typ.IsUnknown():
		resp.PlanValue = types.Int64Unknown()
		return
	case typ.IsNull() && req.State.Raw.IsNull():
		typ = types.StringValue(typeSnapshot)
	case typ.IsNull():
		typ = stateType
	}
	if typ.ValueString() == typeSnapshot {
		resp.PlanValue = types.Int64Null()
		return
	}
	if !req.State.Raw.IsNull() && !req.PlanValue.IsNull() && req.PlanValue.IsUnknown() {
		resp.PlanValue = req.StateValue
	}
}
