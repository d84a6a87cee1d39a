package image

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestImageQuery_excludedByNamesEveryFailingFilter(t *testing.T) {
	deprecated := mustTime(t, "2025-05-31T00:00:00Z")
	bound := int64(102)
	backup := hcloud.Image{ID: 3001, Type: "backup", Status: "available", Architecture: "x86", BoundTo: &bound,
		Labels: map[string]string{"env": "prod"}}
	system := hcloud.Image{ID: 1005, Type: "system", Status: "available", Architecture: "x86", Name: "ubuntu-20.04",
		Deprecated: &deprecated}
	tests := []struct {
		name  string
		query imageQuery
		image hcloud.Image
		want  []string
	}{
		{"matching filters exclude nothing", imageQuery{Types: []hcloud.ImageType{"backup"}, BoundTo: 102}, backup, nil},
		{"type", imageQuery{Types: []hcloud.ImageType{"app", "system"}}, backup,
			[]string{`type = ["app", "system"] does not include its type "backup"`}},
		{"status", imageQuery{Statuses: []hcloud.ImageStatus{"creating"}}, backup,
			[]string{`status = ["creating"] does not include its status "available"`}},
		{"one architecture", imageQuery{Architectures: []string{"arm"}, oneArchitecture: true}, backup,
			[]string{`architecture = "arm" does not match its architecture "x86"`}},
		{"set of architectures", imageQuery{Architectures: []string{"arm"}}, backup,
			[]string{`architecture = ["arm"] does not include its architecture "x86"`}},
		{"bound to another server", imageQuery{BoundTo: 104}, backup,
			[]string{"bound_to = 104 does not match: the image is bound to server 102"}},
		{"bound to no server", imageQuery{BoundTo: 104, IncludeDeprecated: true}, system,
			[]string{"bound_to = 104 does not match: the image is not bound to a server (only backups are)"}},
		{"deprecated", imageQuery{}, system,
			[]string{"the image is deprecated (since 2025-05-31T00:00:00Z) and include_deprecated is not true"}},
		{"deprecated and asked for", imageQuery{IncludeDeprecated: true}, system, nil},
		{"several at once, in a fixed order", imageQuery{Types: []hcloud.ImageType{"snapshot"}, Statuses: []hcloud.ImageStatus{"unavailable"}}, backup,
			[]string{`type = ["snapshot"] does not include its type "backup"`, `status = ["unavailable"] does not include its status "available"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.query.excludedBy(&tt.image); !slices.Equal(got, tt.want) {
				t.Errorf("excludedBy =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

func TestImageQuery_idDependsOnWhatIsAskedNotHowItIsWritten(t *testing.T) {
	base := imageQuery{Types: []hcloud.ImageType{"backup", "snapshot"}, LabelSelector: "env=prod"}
	same := []imageQuery{
		base,
		{LabelSelector: "env=prod", Types: []hcloud.ImageType{"backup", "snapshot"}, Sort: []string{"id:asc"}},
	}
	for _, q := range same {
		if q.id() != base.id() {
			t.Errorf("%+v has id %s, want the id of %+v (%s)", q, q.id(), base, base.id())
		}
	}
	newest := imageQuery{Types: []hcloud.ImageType{"backup"}, MostRecent: true}
	spelled := imageQuery{Types: []hcloud.ImageType{"backup"}, Sort: []string{"created:desc", "id:desc"}}
	if newest.id() != spelled.id() {
		t.Errorf("most_recent and its sort spelled out have different ids: %s, %s", newest.id(), spelled.id())
	}
	different := []imageQuery{
		{Types: []hcloud.ImageType{"backup"}, LabelSelector: "env=prod"},
		{Types: []hcloud.ImageType{"backup", "snapshot"}, LabelSelector: "env=prod", IncludeDeprecated: true},
		{Types: []hcloud.ImageType{"backup", "snapshot"}, LabelSelector: "env=prod", Sort: []string{"name"}},
		{Types: []hcloud.ImageType{"backup", "snapshot"}, LabelSelector: "env=prod", BoundTo: 102},
		{Types: []hcloud.ImageType{"backup", "snapshot"}, LabelSelector: "env=prod", Architectures: []string{"arm"}},
	}
	seen := map[string]bool{base.id(): true}
	for _, q := range different {
		if seen[q.id()] {
			t.Errorf("%+v shares an id with another query", q)
		}
		seen[q.id()] = true
	}
}

func TestImageQuery_sortKeysEndOnIDSoPagesAreStable(t *testing.T) {
	tests := []struct {
		query imageQuery
		want  []string
	}{
		{imageQuery{}, []string{"id:asc"}},
		{imageQuery{MostRecent: true}, []string{"created:desc", "id:desc"}},
		{imageQuery{Sort: []string{"name"}}, []string{"name", "id:asc"}},
		{imageQuery{Sort: []string{"id:desc", "name"}}, []string{"id:desc", "name"}},
		{imageQuery{Sort: []string{"created:desc", "id"}}, []string{"created:desc", "id"}},
	}
	for _, tt := range tests {
		if got := tt.query.sortKeys(); !slices.Equal(got, tt.want) {
			t.Errorf("sortKeys(%v) = %v, want %v", tt.query.Sort, got, tt.want)
		}
	}
}

func TestImageQuery_stringRestatesTheConfiguration(t *testing.T) {
	q := imageQuery{ID: 7, Types: []hcloud.ImageType{"backup"}, Statuses: []hcloud.ImageStatus{"available", "creating"},
		Architectures: []string{"arm"}, oneArchitecture: true, BoundTo: 104, IncludeDeprecated: true}
	want := `id = "7", type = ["backup"], status = ["available", "creating"], architecture = "arm", bound_to = 104, include_deprecated = true`
	if got := q.String(); got != want {
		t.Errorf("String() =\n  %s\nwant\n  %s", got, want)
	}
	if got := (imageQuery{}).String(); got != "no filter" {
		t.Errorf("empty query restated as %q", got)
	}
}

func TestDeprecationWarning_saysWhetherTheImageIsStillUsable(t *testing.T) {
	deprecated := mustTime(t, "2025-05-31T00:00:00Z")
	old := hcloud.Image{ID: 1005, Name: "ubuntu-20.04", Deprecated: &deprecated}
	withNotice := old
	withNotice.Deprecation = &hcloud.Deprecation{Announced: deprecated, UnavailableAfter: mustTime(t, "2026-01-01T00:00:00Z")}
	next := "\n\nMove to a newer image (for example the next release of the same system), then drop include_deprecated."
	tests := []struct {
		name  string
		image hcloud.Image
		now   string
		want  string
	}{
		{"usable for three months after deprecated", old, "2025-08-30T00:00:00Z",
			"Image 1005 (ubuntu-20.04) is deprecated since 2025-05-31T00:00:00Z. It is still usable until " +
				"2025-08-31T00:00:00Z; after that, new servers can no longer be created from it." + next},
		{"unusable after three months", old, "2025-09-01T00:00:00Z",
			"Image 1005 (ubuntu-20.04) is deprecated since 2025-05-31T00:00:00Z. It is no longer usable: new servers " +
				"cannot be created from it since 2025-08-31T00:00:00Z." + next},
		{"unavailable_after wins over three months", withNotice, "2025-12-01T00:00:00Z",
			"Image 1005 (ubuntu-20.04) is deprecated since 2025-05-31T00:00:00Z. It is still usable until " +
				"2026-01-01T00:00:00Z; after that, new servers can no longer be created from it." + next},
		{"not deprecated", hcloud.Image{ID: 1}, "2025-01-01T00:00:00Z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deprecationWarning(&tt.image, mustTime(t, tt.now)); got != tt.want {
				t.Errorf("deprecationWarning =\n  %q\nwant\n  %q", got, tt.want)
			}
		})
	}
}

func TestCandidatesText_listsAtMostTen(t *testing.T) {
	var images []hcloud.Image
	for i := range 12 {
		images = append(images, hcloud.Image{ID: int64(2000 + i), Type: "snapshot", Description: fmt.Sprint("s", i),
			Created: mustTime(t, "2025-01-01T00:00:00Z")})
	}
	got := candidatesText(images)
	if n := strings.Count(got, "\n  - id "); n != maxCandidates {
		t.Errorf("%d images listed, want %d:%s", n, maxCandidates, got)
	}
	if !strings.HasSuffix(got, "\n  - and 2 more") {
		t.Errorf("the rest is not counted:%s", got)
	}
	if !strings.HasPrefix(got, "\n  - id 2000, snapshot, created 2025-01-01T00:00:00Z, \"s0\"") {
		t.Errorf("unexpected format:%s", got)
	}
}

func TestSortNewestFirst_breaksTiesByID(t *testing.T) {
	created := mustTime(t, "2025-01-01T00:00:00Z")
	images := []hcloud.Image{{ID: 1, Created: created}, {ID: 3, Created: created.Add(-time.Hour)}, {ID: 2, Created: created}}
	sortNewestFirst(images)
	var got []int64
	for _, img := range images {
		got = append(got, img.ID)
	}
	if want := []int64{2, 1, 3}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}

// Every image attribute the converter fills is in both data sources' schemas, under the names
// they document, and the converter fills every one (none is left unset by accident).
func TestImageItem_matchesBothSchemas(t *testing.T) {
	ctx := context.Background()
	size, bound, deprecated := 1.5, int64(102), mustTime(t, "2025-05-31T00:00:00Z")
	img := &hcloud.Image{ID: 1, Type: "backup", Status: "available", Name: "n", ImageSize: &size, BoundTo: &bound,
		CreatedFrom: &hcloud.CreatedFrom{ID: 102, Name: "db-1"}, Deprecated: &deprecated, OSVersion: "12",
		Deprecation: &hcloud.Deprecation{Announced: deprecated, UnavailableAfter: deprecated}, Labels: map[string]string{"a": "b"}}
	item, diags := imageItemFromAPI(img)
	if diags.HasError() {
		t.Fatal(diags)
	}
	obj, diags := types.ObjectValueFrom(ctx, imageItemAttrTypes, item)
	if diags.HasError() {
		t.Fatal(diags)
	}
	for name, v := range obj.Attributes() {
		if v.IsNull() || v.IsUnknown() {
			t.Errorf("attribute %s is %v for an image with every field set", name, v)
		}
	}

	var single datasource.SchemaResponse
	NewImageDataSource().Schema(ctx, datasource.SchemaRequest{}, &single)
	var list datasource.SchemaResponse
	NewImagesDataSource().Schema(ctx, datasource.SchemaRequest{}, &list)
	if d := append(single.Schema.ValidateImplementation(ctx), list.Schema.ValidateImplementation(ctx)...); d.HasError() {
		t.Fatal(d)
	}
	for name, typ := range imageItemAttrTypes {
		target := name
		if renamed, ok := renamedInSingle[name]; ok {
			target = renamed
		}
		a, ok := single.Schema.Attributes[target]
		if !ok {
			t.Errorf("hetzner_image has no attribute %s", target)
			continue
		}
		if !a.GetType().Equal(typ) {
			t.Errorf("hetzner_image.%s is %s, the item's %s is %s", target, a.GetType(), name, typ)
		}
		if !a.IsComputed() {
			t.Errorf("hetzner_image.%s is not computed", target)
		}
	}
	for _, filter := range []string{"type", "status"} {
		if got := single.Schema.Attributes[filter].GetType(); !got.Equal(types.SetType{ElemType: types.StringType}) {
			t.Errorf("hetzner_image.%s is %s, want a set of strings", filter, got)
		}
	}
}

// The item's object, built by hand for speed, is the value the framework's reflection makes of
// the item's struct, for an image with every field set and for one with the optional ones unset.
func TestImageItem_objectIsWhatReflectionMakes(t *testing.T) {
	size, bound, deprecated := 1.5, int64(102), mustTime(t, "2025-05-31T00:00:00Z")
	full := &hcloud.Image{ID: 1, Type: "backup", Status: "available", Name: "n", ImageSize: &size, BoundTo: &bound,
		CreatedFrom: &hcloud.CreatedFrom{ID: 102, Name: "db-1"}, Deprecated: &deprecated, OSVersion: "12",
		Deprecation: &hcloud.Deprecation{Announced: deprecated, UnavailableAfter: deprecated}, Labels: map[string]string{"a": "b"},
		Description: "d", DiskSize: 20, OSFlavor: "debian", RapidDeploy: true, Architecture: "arm", Created: deprecated}
	full.Protection.Delete = true
	sparse := &hcloud.Image{ID: 2, Type: "snapshot", Status: "creating", Architecture: "x86"}
	for _, img := range []*hcloud.Image{full, sparse} {
		item, diags := imageItemFromAPI(img)
		if diags.HasError() {
			t.Fatal(diags)
		}
		reflected, diags := types.ObjectValueFrom(context.Background(), imageItemAttrTypes, item)
		if diags.HasError() {
			t.Fatal(diags)
		}
		built, diags := item.object()
		if diags.HasError() {
			t.Fatal(diags)
		}
		if !built.Equal(reflected) {
			t.Errorf("image %d: built %v, reflection makes %v", img.ID, built, reflected)
		}
	}
}
