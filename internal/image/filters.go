package image

import (
	"context"
	"regexp"
	"slices"

	"github.com/hashicorp/terraform-plugin-framework-validators/int64validator"
	"github.com/hashicorp/terraform-plugin-framework-validators/listvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	dsschema "github.com/hashicorp/terraform-plugin-framework/datasource/schema"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	listschema "github.com/hashicorp/terraform-plugin-framework/list/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// The filters of image queries are described once, as filterSpecs, and turned into the schema
// of each place that takes them: the data sources (datasource/schema) and the hetzner_image
// list resource (list/schema), whose attribute types are distinct but alike.

// filterSpec is one optional filter argument: its description, its kind and its validators.
type filterSpec struct {
	description string
	kind        filterKind
	str         []validator.String
	enum        []string // stringSetFilter: the values allowed, at least one, each once
	list        []validator.List
	int64       []validator.Int64
}

type filterKind int

const (
	stringFilter filterKind = iota
	// stringSetFilter is a set of strings in data sources. List resources have no set
	// attributes, so there it is a list whose values must be unique.
	stringSetFilter
	stringListFilter
	int64Filter
	boolFilter
)

func (f filterSpec) dataSourceAttribute() dsschema.Attribute {
	switch f.kind {
	case stringSetFilter:
		return dsschema.SetAttribute{MarkdownDescription: f.description, ElementType: types.StringType, Optional: true,
			Validators: []validator.Set{setvalidator.SizeAtLeast(1), setvalidator.ValueStringsAre(stringvalidator.OneOf(f.enum...))}}
	case stringListFilter:
		return dsschema.ListAttribute{MarkdownDescription: f.description, ElementType: types.StringType, Optional: true, Validators: f.list}
	case int64Filter:
		return dsschema.Int64Attribute{MarkdownDescription: f.description, Optional: true, Validators: f.int64}
	case boolFilter:
		return dsschema.BoolAttribute{MarkdownDescription: f.description, Optional: true}
	default:
		return dsschema.StringAttribute{MarkdownDescription: f.description, Optional: true, Validators: f.str}
	}
}

func (f filterSpec) listAttribute() listschema.Attribute {
	switch f.kind {
	case stringSetFilter:
		return listschema.ListAttribute{MarkdownDescription: f.description, ElementType: types.StringType, Optional: true,
			Validators: []validator.List{listvalidator.SizeAtLeast(1), listvalidator.UniqueValues(),
				listvalidator.ValueStringsAre(stringvalidator.OneOf(f.enum...))}}
	case stringListFilter:
		return listschema.ListAttribute{MarkdownDescription: f.description, ElementType: types.StringType, Optional: true, Validators: f.list}
	case int64Filter:
		return listschema.Int64Attribute{MarkdownDescription: f.description, Optional: true, Validators: f.int64}
	case boolFilter:
		return listschema.BoolAttribute{MarkdownDescription: f.description, Optional: true}
	default:
		return listschema.StringAttribute{MarkdownDescription: f.description, Optional: true, Validators: f.str}
	}
}

type filterSpecs map[string]filterSpec

func (fs filterSpecs) dataSource() map[string]dsschema.Attribute {
	out := make(map[string]dsschema.Attribute, len(fs))
	for name, f := range fs {
		out[name] = f.dataSourceAttribute()
	}
	return out
}

func (fs filterSpecs) list() map[string]listschema.Attribute {
	out := make(map[string]listschema.Attribute, len(fs))
	for name, f := range fs {
		out[name] = f.listAttribute()
	}
	return out
}

// commonFilters are the filters that every image query takes alike, for images of the given
// types (the data sources find every type; the list resource finds what hetzner_image manages).
func commonFilters(imageTypes []hcloud.ImageType) filterSpecs {
	typeText := "Only images of these types (" + codeList(asStrings(imageTypes)) + "). Default: any of them."
	deprecatedText := "Also find deprecated images (Hetzner's older system images). Default `false`, like the API, " +
		"on every lookup path: a deprecated image looked up by ID is not found unless this is `true`. A deprecated " +
		"image that hetzner_image finds comes with a warning that says until when it can be used."
	if !hetznersImages(imageTypes) {
		deprecatedText = "Also find deprecated images. Default `false`, like the API. Only Hetzner's system images are " +
			"deprecated, so snapshots and backups are found either way."
	}
	return filterSpecs{
		"label_selector": {
			description: "Only images whose labels match this selector, such as `env=prod,role in (web,api),!legacy`: " +
				"every term must hold. Terms are `k=v` (or `k==v`), `k!=v`, `k` (key present), `!k` (key absent), " +
				"`k in (v1,v2)` and `k notin (v1,v2)`. Checked when Terraform plans; the API applies it.",
			kind: stringFilter,
			str:  []validator.String{selectorValidator},
		},
		"type": {
			description: typeText,
			kind:        stringSetFilter,
			enum:        asStrings(imageTypes),
		},
		"status": {
			description: "Only images in these statuses (`available`, `creating`, `unavailable`). Default: any " +
				"status; set `[\"available\"]` to skip images that are still being written.",
			kind: stringSetFilter,
			enum: asStrings(hcloud.ImageStatuses),
		},
		"include_deprecated": {
			description: deprecatedText,
			kind:        boolFilter,
		},
	}
}

// sortPattern is the API's sort expression for images.
const sortPattern = `^(id|name|created)(:(asc|desc))?$`

// listingFilters are the filters of the queries that answer many images: hetzner_images and
// the hetzner_image list resource.
func listingFilters(imageTypes []hcloud.ImageType) filterSpecs {
	fs := commonFilters(imageTypes)
	nameText := "Only images with exactly this name, such as `debian-12` (one per architecture). " +
		"Only system and app images have names."
	if !hetznersImages(imageTypes) {
		nameText = "Only images with exactly this name. Only Hetzner's system and app images have names and this " +
			"list finds snapshots and backups only, so a name matches nothing here: the argument exists so that the " +
			"filters of a `hetzner_images` data source can be copied as they are."
	}
	fs["name"] = filterSpec{
		description: nameText,
		kind:        stringFilter,
		str:         []validator.String{stringvalidator.LengthAtLeast(1)},
	}
	fs["architecture"] = filterSpec{
		description: "Only images of these CPU architectures (`x86`, `arm`). Default: both.",
		kind:        stringSetFilter,
		enum:        architectures,
	}
	fs["bound_to"] = filterSpec{
		description: "Only backups bound to this server ID.",
		kind:        int64Filter,
		int64:       []validator.Int64{int64validator.AtLeast(1)},
	}
	fs["sort"] = filterSpec{
		description: "Order of the images, as the API's sort expressions: `id`, `name` or `created`, each " +
			"optionally followed by `:asc` (the default direction) or `:desc`; the first is the primary order. " +
			"Default `[\"id:asc\"]`. Ties are broken by ascending id. Conflicts with `most_recent = true`.",
		kind: stringListFilter,
		list: []validator.List{
			listvalidator.SizeAtLeast(1),
			listvalidator.UniqueValues(),
			listvalidator.ValueStringsAre(stringvalidator.RegexMatches(regexp.MustCompile(sortPattern),
				"must be id, name or created, optionally followed by :asc or :desc")),
		},
	}
	fs["most_recent"] = filterSpec{
		description: "Newest first: shorthand for `sort = [\"created:desc\", \"id:desc\"]`, so the first image " +
			"is the newest match. Default `false`.",
		kind: boolFilter,
	}
	return fs
}

// listFilters are the arguments of listingFilters, as read from a configuration; C is the type
// of their string sets (types.Set in data sources, types.List in the list resource).
type listFilters[C stringCollection] struct {
	imageFilters[C]
	Architecture C          `tfsdk:"architecture"`
	Sort         types.List `tfsdk:"sort"`
}

// query turns every listing filter into a query; defaultTypes apply when type is not set.
func (f listFilters[C]) query(ctx context.Context, defaultTypes []hcloud.ImageType) (imageQuery, diag.Diagnostics) {
	q, diagnostics := f.imageFilters.query(ctx)
	diagnostics.Append(stringSet(ctx, f.Architecture, &q.Architectures)...)
	if !f.Sort.IsNull() && !f.Sort.IsUnknown() {
		diagnostics.Append(f.Sort.ElementsAs(ctx, &q.Sort, false)...)
	}
	if len(q.Types) == 0 {
		q.Types = defaultTypes
	}
	return q, diagnostics
}

// validateOrder refuses sort together with most_recent = true.
func validateOrder(ctx context.Context, config tfsdk.Config, diagnostics *diag.Diagnostics) {
	var sort types.List
	var mostRecent types.Bool
	diagnostics.Append(config.GetAttribute(ctx, path.Root("sort"), &sort)...)
	diagnostics.Append(config.GetAttribute(ctx, path.Root("most_recent"), &mostRecent)...)
	if mostRecent.ValueBool() && !sort.IsNull() && !sort.IsUnknown() {
		diagnostics.AddAttributeError(path.Root("sort"), "Conflicting Image Order", diags.Detail(
			"most_recent = true sorts newest first (created:desc, id:desc), and sort asks for another order.",
			"Remove sort, or remove most_recent and write the order you want in sort."))
	}
}

// codeList writes values as Markdown code, comma-separated: "`a`, `b`".
func codeList(values []string) string {
	out := ""
	for i, v := range values {
		if i > 0 {
			out += ", "
		}
		out += "`" + v + "`"
	}
	return out
}

// hetznersImages tells whether a query of these types can find Hetzner's own images (system,
// app), which alone have names and deprecations.
func hetznersImages(imageTypes []hcloud.ImageType) bool {
	return slices.Contains(imageTypes, hcloud.ImageTypeSystem) || slices.Contains(imageTypes, hcloud.ImageTypeApp)
}
