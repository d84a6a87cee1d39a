package image

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// The hetzner_image list resource (Terraform 1.14+): `terraform query` finds the project's
// snapshots and backups with the filters of hetzner_images, and -generate-config-out writes an
// import block and a resource block for each.

var (
	_ list.ListResource                   = (*imageListResource)(nil)
	_ list.ListResourceWithConfigure      = (*imageListResource)(nil)
	_ list.ListResourceWithValidateConfig = (*imageListResource)(nil)
)

type imageListResource struct {
	client *hcloud.Client
}

// NewImageListResource returns the hetzner_image list resource.
func NewImageListResource() list.ListResource { return &imageListResource{} }

func (r *imageListResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_image"
}

func (r *imageListResource) ListResourceConfigSchema(_ context.Context, _ list.ListResourceSchemaRequest, resp *list.ListResourceSchemaResponse) {
	resp.Schema = listschema.Schema{
		MarkdownDescription: "Finds the project's snapshots and backups for `terraform query`, with the filters of the " +
			"`hetzner_images` data source. Each result is the image's identity (`id`) and a line that names its type, " +
			"id, description, the server it came from, its size and when it was made; with `include_resource = true` " +
			"(or `-generate-config-out`), the whole `hetzner_image` resource. Pages of 50 images are read as the results " +
			"are needed: `limit = 10` costs one request, 5000 images cost 100. Needs Terraform 1.14 or newer.",
		Attributes: listingFilters(hcloud.UserImageTypes).list(),
	}
}

func (r *imageListResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.client = configuredClient(req.ProviderData, &resp.Diagnostics)
}

func (r *imageListResource) ValidateListResourceConfig(ctx context.Context, req list.ValidateConfigRequest, resp *list.ValidateConfigResponse) {
	validateOrder(ctx, req.Config, &resp.Diagnostics)
}

func (r *imageListResource) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	if req.Limit < 1 {
		// limit = 0 asks for nothing (Terraform refuses a negative limit itself): nothing is
		// asked of the API.
		stream.Results = list.NoListResults
		return
	}
	var config listFilters[types.List]
	diagnostics := req.Config.Get(ctx, &config)
	q, d := config.query(ctx, hcloud.UserImageTypes)
	diagnostics.Append(d...)
	if diagnostics.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diagnostics)
		return
	}
	stream.Results = func(push func(list.ListResult) bool) {
		sent := int64(0)
		for page, err := range r.client.ImagePages(ctx, q.listOpts()) {
			if err != nil {
				push(list.ListResult{Diagnostics: diag.Diagnostics{
					diags.APIError("Error Listing Images", "listing images with "+q.String(), err, ""),
				}})
				return
			}
			for i := range page {
				if !push(r.result(ctx, req, &page[i])) {
					return
				}
				// Terraform stops reading at the limit; not asking for the next page is ours to do.
				if sent++; sent >= req.Limit {
					return
				}
			}
		}
	}
}

// result is one image as a list result: its identity, its display name and, when asked for,
// the resource as an import of it would read it.
func (r *imageListResource) result(ctx context.Context, req list.ListRequest, img *hcloud.Image) list.ListResult {
	result := req.NewListResult(ctx)
	result.DisplayName = displayName(img)
	result.Diagnostics.Append(setIdentity(ctx, result.Identity, img.ID)...)
	if req.IncludeResource {
		// The settings only this provider reads stay null, so that the configuration that
		// -generate-config-out writes leaves them out.
		m, d := importedModel(img)
		result.Diagnostics.Append(d...)
		result.Diagnostics.Append(result.Resource.Set(ctx, &m)...)
	}
	return result
}

// displayName is the image at a glance: "snapshot 1234 · web before the upgrade · from server
// web (42) · 2.5 GB · 2026-12-06 17:00 UTC".
func displayName(img *hcloud.Image) string {
	parts := []string{fmt.Sprintf("%s %d", img.Type, img.ID)}
	if img.Description != "" {
		parts = append(parts, strconv.Quote(img.Description))
	} else {
		parts = append(parts, "no description")
	}
	switch {
	case img.CreatedFrom != nil:
		parts = append(parts, fmt.Sprintf("from server %s (%d)", img.CreatedFrom.Name, img.CreatedFrom.ID))
	case img.BoundTo != nil:
		parts = append(parts, fmt.Sprintf("of server %d", *img.BoundTo))
	}
	if img.ImageSize != nil {
		parts = append(parts, strconv.FormatFloat(*img.ImageSize, 'f', -1, 64)+" GB")
	}
	if img.Status != hcloud.ImageStatusAvailable {
		parts = append(parts, string(img.Status))
	}
	parts = append(parts, img.Created.UTC().Format("2006-01-02 15:04 UTC"))
	return strings.Join(parts, " · ")
}
