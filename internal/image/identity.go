package image

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/identityschema"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"
)

// The identity of hetzner_image (Terraform and OpenTofu 1.12+): the image id as a number, which is what the
// API calls it. import blocks can name it (identity = { id = 1234 }), terraform query results
// carry it, and CLIs that know no identity never ask for it.

var _ resource.ResourceWithIdentity = (*imageResource)(nil)

type imageIdentity struct {
	ID types.Int64 `tfsdk:"id"`
}

func (r *imageResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	resp.IdentitySchema = identitySchema()
}

func identitySchema() identityschema.Schema {
	return identityschema.Schema{
		Attributes: map[string]identityschema.Attribute{
			"id": identityschema.Int64Attribute{
				Description:       "Image ID, as a number.",
				RequiredForImport: true,
			},
		},
	}
}

// setIdentity records the image's id as the resource's identity. The framework hands the
// resource an identity to fill whenever the resource has one; a state written before identity
// existed gains it on its next refresh.
func setIdentity(ctx context.Context, identity *tfsdk.ResourceIdentity, id int64) diag.Diagnostics {
	if identity == nil {
		return nil
	}
	return identity.Set(ctx, imageIdentity{ID: types.Int64Value(id)})
}

// identityID reads the image id of an import by identity.
func identityID(ctx context.Context, identity *tfsdk.ResourceIdentity) (int64, diag.Diagnostics) {
	var id imageIdentity
	diagnostics := identity.Get(ctx, &id)
	if diagnostics.HasError() {
		return 0, diagnostics
	}
	if id.ID.IsNull() || id.ID.IsUnknown() || id.ID.ValueInt64() <= 0 {
		diagnostics.AddAttributeError(path.Root("id"), "Invalid Image Identity", fmt.Sprintf(
			"The import block's identity gives id = %s; it must be the image's id, a positive whole number, "+
				"such as identity = { id = 1234 }.", id.ID.String()))
		return 0, diagnostics
	}
	return id.ID.ValueInt64(), diagnostics
}
