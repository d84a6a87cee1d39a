package image_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/acctest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

var sameValue = compare.ValuesSame()

// ids checks that a list of images holds exactly these ids, in this order.
func listsIDs(want ...int64) knownvalue.Check {
	checks := make([]knownvalue.Check, len(want))
	for i, n := range want {
		checks[i] = knownvalue.ObjectPartial(map[string]knownvalue.Check{"id": isImageID(n)})
	}
	return knownvalue.ListExact(checks)
}

func TestAccImagesDataSource_everyFilterAndOrder(t *testing.T) {
	env := newSeededEnv(t)
	images := func(name string) string { return "data.hetzner_images." + name }
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.Config(`
data "hetzner_images" "all" {}

data "hetzner_images" "prod_web" {
  label_selector = "env=prod,role=web"
  type           = ["snapshot"]
  status         = ["available"]
  architecture   = ["x86"]
}

data "hetzner_images" "prod_web_reordered" {
  architecture   = ["x86"]
  status         = ["available"]
  type           = ["snapshot"]
  label_selector = "env=prod,role=web"
}

data "hetzner_images" "db_backups" {
  bound_to = 102
}

data "hetzner_images" "arm" {
  architecture = ["arm"]
}

data "hetzner_images" "not_ready" {
  status = ["creating", "unavailable"]
}

data "hetzner_images" "debian" {
  name = "debian-12"
}

data "hetzner_images" "deprecated_hidden" {
  name = "ubuntu-20.04"
}

data "hetzner_images" "deprecated_shown" {
  name               = "ubuntu-20.04"
  include_deprecated = true
}

data "hetzner_images" "by_name" {
  type               = ["system", "app"]
  include_deprecated = true
  sort               = ["name:asc", "created:desc"]
}

data "hetzner_images" "newest_backups" {
  type        = ["backup"]
  most_recent = true
}

data "hetzner_images" "newest_backups_spelled_out" {
  type = ["backup"]
  sort = ["created:desc", "id:desc"]
}

data "hetzner_images" "none" {
  label_selector = "env=nowhere"
}
`),
			ConfigStateChecks: []statecheck.StateCheck{
				// No filter: everything but the deprecated image, by ascending id.
				expectAttr(images("all"), "images", listsIDs(1001, 1002, 1003, 1004, 1006,
					snapWebBefore, snapWebAfter, snapStaging, snapARM, snapCreating, snapUnavailable,
					backupDB1, backupDB2, backupARM)),
				expectAttr(images("prod_web"), "images", listsIDs(snapWebBefore, snapWebAfter)),
				expectAttr(images("db_backups"), "images", listsIDs(backupDB1, backupDB2)),
				expectAttr(images("arm"), "images", listsIDs(1002, 1004, snapARM, backupARM)),
				expectAttr(images("not_ready"), "images", listsIDs(snapCreating, snapUnavailable)),
				expectAttr(images("debian"), "images", listsIDs(1003, 1004)),
				expectAttr(images("deprecated_hidden"), "images", knownvalue.ListExact([]knownvalue.Check{})),
				expectAttr(images("deprecated_shown"), "images", listsIDs(1005)),
				// debian-12 (two, same created: ties by id), docker-ce, ubuntu-20.04, ubuntu-24.04 (two).
				expectAttr(images("by_name"), "images", listsIDs(1003, 1004, 1006, 1005, 1001, 1002)),
				expectAttr(images("newest_backups"), "images", listsIDs(backupARM, backupDB2, backupDB1)),
				expectAttr(images("none"), "images", knownvalue.ListExact([]knownvalue.Check{})),

				// Every attribute of an item, from the same converter as hetzner_image.
				statecheck.ExpectKnownValue(images("prod_web"), tfjsonpath.New("images").AtSliceIndex(1), knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id":                isImageID(snapWebAfter),
					"name":              knownvalue.Null(),
					"type":              isString("snapshot"),
					"status":            isString("available"),
					"description":       isString("web after upgrade"),
					"labels":            knownvalue.MapExact(map[string]knownvalue.Check{"env": isString("prod"), "role": isString("web")}),
					"delete_protection": knownvalue.Bool(true),
					"image_size":        knownvalue.Float64Exact(1.5),
					"disk_size":         knownvalue.Float64Exact(40),
					"created":           isString("2025-02-01T10:00:00Z"),
					"created_from":      knownvalue.ObjectExact(map[string]knownvalue.Check{"id": knownvalue.Int64Exact(101), "name": isString("web-1")}),
					"bound_to":          knownvalue.Null(),
					"os_flavor":         isString("ubuntu"),
					"os_version":        isString("24.04"),
					"architecture":      isString("x86"),
					"rapid_deploy":      knownvalue.Bool(false),
					"deprecated":        knownvalue.Null(),
					"deprecation":       knownvalue.Null(),
				})),
				statecheck.ExpectKnownValue(images("db_backups"), tfjsonpath.New("images").AtSliceIndex(0).AtMapKey("bound_to"), knownvalue.Int64Exact(102)),

				// The id is the query's: the same filters in another order, or most_recent spelled
				// out, give the same id; other filters another one.
				statecheck.CompareValuePairs(images("prod_web"), tfjsonpath.New("id"), images("prod_web_reordered"), tfjsonpath.New("id"), sameValue),
				statecheck.CompareValuePairs(images("newest_backups"), tfjsonpath.New("id"), images("newest_backups_spelled_out"), tfjsonpath.New("id"), sameValue),
				statecheck.CompareValuePairs(images("all"), tfjsonpath.New("id"), images("none"), tfjsonpath.New("id"), compare.ValuesDiffer()),
				expectAttr(images("all"), "id", knownvalue.StringRegexp(regexp.MustCompile(`^[0-9a-f]{32}$`))),
			},
		}},
	})
}

// The id is derived from the query, not from the time of the read or the images found: it
// stays the same across reads while the images change.
func TestAccImagesDataSource_idIsStableAcrossReads(t *testing.T) {
	env := newSeededEnv(t)
	config := env.Config(`
data "hetzner_images" "prod" {
  label_selector = "env=prod"
  most_recent    = true
}
`)
	sameID := statecheck.CompareValue(sameValue)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue("data.hetzner_images.prod", tfjsonpath.New("id"))},
			},
			{
				PreConfig: func() {
					env.Emulator.AddImage(emulator.Image{ID: 2100, Labels: map[string]string{"env": "prod"}, Created: time.Now()})
				},
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue("data.hetzner_images.prod", tfjsonpath.New("id")),
					statecheck.ExpectKnownValue("data.hetzner_images.prod", tfjsonpath.New("images").AtSliceIndex(0).AtMapKey("id"), isImageID(2100)),
				},
			},
		},
	})
}

// Every page is read at 50 images per request, so N images cost exactly ceil(N/50) list
// requests: 173 → 4, 150 → 3, 0 → 1 (an empty answer is still one request).
func TestAccImagesDataSource_readsEveryPageAtFiftyPerRequest(t *testing.T) {
	env := acctest.New(t, emulator.Options{NoSeed: true})
	for i := range 173 {
		lbls := map[string]string{"batch": "rest"}
		if i < 150 {
			lbls["batch"] = "first"
		}
		env.Emulator.AddImage(emulator.Image{
			Created: seedTime("2025-01-01T00:00:00Z").Add(time.Duration(i) * time.Minute), Labels: lbls,
			Description: fmt.Sprintf("bulk %d", i),
		})
	}
	step := func(filter string, images, wantRequests int) resource.TestStep {
		return resource.TestStep{
			PreConfig: env.Emulator.ResetRequests,
			Config:    env.Config("data \"hetzner_images\" \"bulk\" {\n" + filter + "\n}\n"),
			// terraform reads a data source with a known configuration once, while planning;
			// the apply uses that plan, so this is the count of one read.
			Check: resource.ComposeTestCheckFunc(
				expectRequests(env, "GET", "/v1/images", wantRequests),
				func(*terraform.State) error {
					if n := env.Emulator.TotalRequests(); n != wantRequests {
						return fmt.Errorf("%d requests in all, want only the %d list requests: %v", n, wantRequests, env.Emulator.Requests())
					}
					return nil
				},
			),
			ConfigStateChecks: []statecheck.StateCheck{
				expectAttr("data.hetzner_images.bulk", "images", knownvalue.ListSizeExact(images)),
			},
		}
	}
	last := []knownvalue.Check{}
	for i := 172; i >= 150; i-- {
		last = append(last, knownvalue.ObjectPartial(map[string]knownvalue.Check{"description": isString(fmt.Sprintf("bulk %d", i))}))
	}
	newest := step(`label_selector = "batch=rest"`+"\n"+`most_recent = true`, 23, 1)
	newest.ConfigStateChecks = append(newest.ConfigStateChecks, expectAttr("data.hetzner_images.bulk", "images", knownvalue.ListExact(last)))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			step(``, 173, 4),
			step(`label_selector = "batch=first"`, 150, 3),
			step(`label_selector = "batch=none"`, 0, 1),
			newest,
		},
	})
}

func TestAccImagesDataSource_invalidQueriesFailAtPlan(t *testing.T) {
	cases := []struct {
		name   string
		config string
		want   *regexp.Regexp
	}{
		{
			name:   "sort on a field the API does not sort by",
			config: `sort = ["size:desc"]`,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value Match",
				"Attribute sort[0] must be id, name or created, optionally followed by :asc or :desc, got: size:desc"),
		},
		{
			name:   "sort with a direction the API does not know",
			config: `sort = ["created:newest"]`,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value Match",
				"Attribute sort[0] must be id, name or created, optionally followed by :asc or :desc, got: created:newest"),
		},
		{
			name:   "sort and most_recent",
			config: `sort = ["name"]` + "\n" + `most_recent = true`,
			want: acctest.ExpectDiagnostic("Conflicting Image Order",
				"most_recent = true sorts newest first (created:desc, id:desc), and sort asks for another order. "+
					"Remove sort, or remove most_recent and write the order you want in sort."),
		},
		{
			name:   "malformed selector",
			config: `label_selector = "env=prod,,role=web"`,
			want: acctest.ExpectDiagnostic("Invalid Label Selector",
				`label selector "env=prod,,role=web", at character 10: expected a label key.`),
		},
		{
			name:   "status outside the API's values",
			config: `status = ["ready"]`,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value Match",
				`Attribute status[Value("ready")] value must be one of: ["available" "creating" "unavailable"], got: "ready"`),
		},
		{
			name:   "empty type set",
			config: `type = []`,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value",
				"Attribute type set must contain at least 1 elements, got: 0"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := acctest.New(t, emulator.Options{})
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      env.Config("data \"hetzner_images\" \"probe\" {\n" + tc.config + "\n}\n"),
					ExpectError: tc.want,
				}},
			})
			if n := env.Emulator.TotalRequests(); n != 0 {
				t.Errorf("a configuration refused at plan sent %d requests to the API, want 0", n)
			}
		})
	}
}
