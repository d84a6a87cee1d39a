package image

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// imageQuery is what a data source asks for: at most one lookup (id, name or label selector)
// and the filters. Every filter applies on every path: the API applies them to lists (and what
// it filtered is not filtered again), excludedBy applies them to an image read by id.
type imageQuery struct {
	ID                int64                `json:"id,omitempty"`
	Name              string               `json:"name,omitempty"`
	LabelSelector     string               `json:"label_selector,omitempty"`
	Types             []hcloud.ImageType   `json:"type,omitempty"` // sets are kept sorted
	Statuses          []hcloud.ImageStatus `json:"status,omitempty"`
	Architectures     []string             `json:"architecture,omitempty"`
	BoundTo           int64                `json:"bound_to,omitempty"` // 0: any server, or none
	IncludeDeprecated bool                 `json:"include_deprecated,omitempty"`
	MostRecent        bool                 `json:"most_recent,omitempty"`
	Sort              []string             `json:"sort,omitempty"` // hetzner_images only

	// oneArchitecture is set for hetzner_image, whose architecture is a string, not a set.
	oneArchitecture bool
}

// newestFirst is the order of most_recent: by creation time, then by id, since images made in
// the same second share a created time.
var newestFirst = []string{"created:desc", "id:desc"}

// imageFilters are the arguments that every image query reads the same way; each adds its own
// (hetzner_image its id and one architecture; hetzner_images and the list resource a set of
// architectures and sort, as listFilters).
type imageFilters[C stringCollection] struct {
	Name              types.String `tfsdk:"name"`
	LabelSelector     types.String `tfsdk:"label_selector"`
	Type              C            `tfsdk:"type"`
	Status            C            `tfsdk:"status"`
	BoundTo           types.Int64  `tfsdk:"bound_to"`
	IncludeDeprecated types.Bool   `tfsdk:"include_deprecated"`
	MostRecent        types.Bool   `tfsdk:"most_recent"`
}

// query is the query builder of every image query: it turns the shared arguments into a query.
func (f imageFilters[C]) query(ctx context.Context) (imageQuery, diag.Diagnostics) {
	q := imageQuery{
		Name:              f.Name.ValueString(),
		LabelSelector:     f.LabelSelector.ValueString(),
		BoundTo:           f.BoundTo.ValueInt64(),
		IncludeDeprecated: f.IncludeDeprecated.ValueBool(),
		MostRecent:        f.MostRecent.ValueBool(),
	}
	diagnostics := stringSet(ctx, f.Type, &q.Types)
	diagnostics.Append(stringSet(ctx, f.Status, &q.Statuses)...)
	return q, diagnostics
}

// stringCollection is a set or list of strings: filters are sets in data sources and lists in
// the list resource, which has no sets.
type stringCollection interface {
	IsNull() bool
	IsUnknown() bool
	ElementsAs(ctx context.Context, target any, allowUnhandled bool) diag.Diagnostics
}

// stringSet reads a set (or list) of strings, sorted, into dst; a null one leaves dst nil.
func stringSet[T ~string](ctx context.Context, set stringCollection, dst *[]T) diag.Diagnostics {
	if set.IsNull() || set.IsUnknown() {
		return nil
	}
	var values []string
	d := set.ElementsAs(ctx, &values, false)
	slices.Sort(values)
	*dst = make([]T, len(values))
	for i, v := range values {
		(*dst)[i] = T(v)
	}
	return d
}

// architectures are the API's CPU architectures.
var architectures = []string{"x86", "arm"}

func asStrings[T ~string](values []T) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// sortKeys returns the sort sent to the API. Without a sort the API's order is undocumented, so
// ascending id is asked for; a sort that does not end on id gets id as the last key, so that
// pages never shuffle images with equal names or creation times between requests.
func (q imageQuery) sortKeys() []string {
	if q.MostRecent {
		return newestFirst
	}
	keys := slices.Clone(q.Sort)
	if !slices.ContainsFunc(keys, func(k string) bool { return k == "id" || strings.HasPrefix(k, "id:") }) {
		keys = append(keys, "id:asc")
	}
	return keys
}

func (q imageQuery) listOpts() hcloud.ImageListOpts {
	opts := hcloud.ImageListOpts{
		Name:              q.Name,
		Types:             q.Types,
		Statuses:          q.Statuses,
		Architectures:     q.Architectures,
		LabelSelector:     q.LabelSelector,
		IncludeDeprecated: q.IncludeDeprecated,
		Sort:              q.sortKeys(),
	}
	if q.BoundTo != 0 {
		opts.BoundTo = []int64{q.BoundTo}
	}
	return opts
}

// String restates the query in the configuration's words, for diagnostics.
func (q imageQuery) String() string {
	var parts []string
	add := func(format string, args ...any) { parts = append(parts, fmt.Sprintf(format, args...)) }
	if q.ID != 0 {
		add("id = %q", strconv.FormatInt(q.ID, 10))
	}
	if q.Name != "" {
		add("name = %q", q.Name)
	}
	if q.LabelSelector != "" {
		add("label_selector = %q", q.LabelSelector)
	}
	if len(q.Types) > 0 {
		add("type = %s", hclList(q.Types))
	}
	if len(q.Statuses) > 0 {
		add("status = %s", hclList(q.Statuses))
	}
	if len(q.Architectures) > 0 {
		add("architecture = %s", q.architectureText())
	}
	if q.BoundTo != 0 {
		add("bound_to = %d", q.BoundTo)
	}
	if q.IncludeDeprecated {
		add("include_deprecated = true")
	}
	if len(parts) == 0 {
		return "no filter"
	}
	return strings.Join(parts, ", ")
}

func (q imageQuery) architectureText() string {
	if q.oneArchitecture && len(q.Architectures) == 1 {
		return strconv.Quote(q.Architectures[0])
	}
	return hclList(q.Architectures)
}

func hclList[T ~string](values []T) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = strconv.Quote(string(v))
	}
	return "[" + strings.Join(quoted, ", ") + "]"
}

// id identifies the query, so that the same configuration keeps the same id across reads and
// machines. Two configurations that ask for the same images (sets written in another order,
// most_recent or its sort spelled out) share it.
func (q imageQuery) id() string {
	canonical := q
	canonical.Sort = q.sortKeys()
	canonical.MostRecent = false
	b, err := json.Marshal(canonical)
	if err != nil {
		panic(err) // strings, numbers and bools always encode
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// excludedBy returns, for each filter that an image read by id fails, why: an empty result
// means the image matches the query. (An id lookup has no name or label selector.)
func (q imageQuery) excludedBy(img *hcloud.Image) []string {
	var why []string
	if len(q.Types) > 0 && !slices.Contains(q.Types, img.Type) {
		why = append(why, fmt.Sprintf("type = %s does not include its type %q", hclList(q.Types), img.Type))
	}
	if len(q.Statuses) > 0 && !slices.Contains(q.Statuses, img.Status) {
		why = append(why, fmt.Sprintf("status = %s does not include its status %q", hclList(q.Statuses), img.Status))
	}
	if len(q.Architectures) > 0 && !slices.Contains(q.Architectures, img.Architecture) {
		verb := "does not include"
		if q.oneArchitecture {
			verb = "does not match"
		}
		why = append(why, fmt.Sprintf("architecture = %s %s its architecture %q", q.architectureText(), verb, img.Architecture))
	}
	if q.BoundTo != 0 && (img.BoundTo == nil || *img.BoundTo != q.BoundTo) {
		if img.BoundTo == nil {
			why = append(why, fmt.Sprintf("bound_to = %d does not match: the image is not bound to a server (only backups are)", q.BoundTo))
		} else {
			why = append(why, fmt.Sprintf("bound_to = %d does not match: the image is bound to server %d", q.BoundTo, *img.BoundTo))
		}
	}
	if announced, _, deprecated := img.DeprecationDates(); deprecated && !q.IncludeDeprecated {
		why = append(why, fmt.Sprintf("the image is deprecated (since %s) and include_deprecated is not true", formatTime(announced)))
	}
	return why
}

// sortNewestFirst orders images as most_recent does, whatever order the API answered in.
func sortNewestFirst(images []hcloud.Image) {
	slices.SortStableFunc(images, func(a, b hcloud.Image) int {
		return cmp.Or(b.Created.Compare(a.Created), cmp.Compare(b.ID, a.ID))
	})
}

// deprecationWarning is the detail of the warning about a deprecated image, or "" when the
// image is not deprecated.
func deprecationWarning(img *hcloud.Image, now time.Time) string {
	announced, unavailable, deprecated := img.DeprecationDates()
	if !deprecated {
		return ""
	}
	what := fmt.Sprintf("Image %d", img.ID)
	if img.Name != "" {
		what += fmt.Sprintf(" (%s)", img.Name)
	}
	happened := fmt.Sprintf("%s is deprecated since %s.", what, formatTime(announced))
	if now.Before(unavailable) {
		happened += fmt.Sprintf(" It is still usable until %s; after that, new servers can no longer be created from it.",
			formatTime(unavailable))
	} else {
		happened += fmt.Sprintf(" It is no longer usable: new servers cannot be created from it since %s.", formatTime(unavailable))
	}
	return happened + "\n\nMove to a newer image (for example the next release of the same system), " +
		"then drop include_deprecated."
}

// maxCandidates bounds the images listed in an ambiguity error.
const maxCandidates = 10

// candidatesText lists images one per line, for diagnostics.
func candidatesText(images []hcloud.Image) string {
	var b strings.Builder
	for i, img := range images {
		if i == maxCandidates {
			fmt.Fprintf(&b, "\n  - and %d more", len(images)-maxCandidates)
			break
		}
		fmt.Fprintf(&b, "\n  - id %d, %s, created %s, %q", img.ID, img.Type, formatTime(img.Created), img.Description)
	}
	return b.String()
}
