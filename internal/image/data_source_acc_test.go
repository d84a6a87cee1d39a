package image_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/acctest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// Images seeded next to the emulator's system and app images (1001-1006), so that every type,
// status and architecture exists.
const (
	seedServerARMBackups int64 = 104 // arm-db: arm, backups enabled

	snapWebBefore   int64 = 2001 // snapshot, x86, env=prod role=web, 2025-01-01
	snapWebAfter    int64 = 2002 // snapshot, x86, env=prod role=web, 2025-02-01, protected
	snapStaging     int64 = 2003 // snapshot, x86, env=staging role=web, 2025-02-15
	snapARM         int64 = 2004 // snapshot, arm, env=prod role=arm, 2025-03-01
	snapCreating    int64 = 2005 // snapshot, x86, env=prod role=web, 2025-04-01, creating
	snapUnavailable int64 = 2006 // snapshot, x86, env=prod role=web, 2025-03-15, unavailable
	backupDB1       int64 = 3001 // backup of 102, x86, 2025-01-10
	backupDB2       int64 = 3002 // backup of 102, x86, 2025-01-11
	backupARM       int64 = 3003 // backup of 104, arm, 2025-01-12
)

func seedTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func ptrTo[T any](v T) *T { return &v }

// seedImages adds snapshots and backups of every status and architecture.
func seedImages(env *acctest.Env) {
	e := env.Emulator
	e.AddServer(emulator.Server{ID: seedServerARMBackups, Name: "arm-db", Architecture: "arm", DiskSize: 80, BackupsEnabled: true})
	from := func(id int64) *emulator.CreatedFrom {
		names := map[int64]string{101: "web-1", 102: "db-1", 103: "arm-1", 104: "arm-db"}
		return &emulator.CreatedFrom{ID: id, Name: names[id]}
	}
	snapshot := func(id int64, desc, created, arch string, server int64, lbls map[string]string) emulator.Image {
		return emulator.Image{
			ID: id, Type: emulator.ImageTypeSnapshot, Status: emulator.ImageStatusAvailable, Description: desc,
			ImageSize: ptrTo(1.5), DiskSize: 40, Created: seedTime(created), CreatedFrom: from(server),
			OSFlavor: "ubuntu", OSVersion: ptrTo("24.04"), Architecture: arch, Labels: lbls,
		}
	}
	web := func(env string) map[string]string { return map[string]string{"env": env, "role": "web"} }

	after := snapshot(snapWebAfter, "web after upgrade", "2025-02-01T10:00:00Z", "x86", 101, web("prod"))
	after.Protection.Delete = true
	creating := snapshot(snapCreating, "web in progress", "2025-04-01T10:00:00Z", "x86", 101, web("prod"))
	creating.Status, creating.ImageSize = emulator.ImageStatusCreating, nil
	failed := snapshot(snapUnavailable, "failed copy", "2025-03-15T10:00:00Z", "x86", 101, web("prod"))
	failed.Status = emulator.ImageStatusUnavailable
	backup := func(id int64, desc, created, arch string, server int64) emulator.Image {
		img := snapshot(id, desc, created, arch, server, nil)
		img.Type, img.BoundTo, img.OSFlavor, img.OSVersion = emulator.ImageTypeBackup, ptrTo(server), "debian", ptrTo("12")
		return img
	}
	for _, img := range []emulator.Image{
		snapshot(snapWebBefore, "web before upgrade", "2025-01-01T10:00:00Z", "x86", 101, web("prod")),
		after,
		snapshot(snapStaging, "staging web", "2025-02-15T10:00:00Z", "x86", 101, web("staging")),
		snapshot(snapARM, "arm build", "2025-03-01T10:00:00Z", "arm", 103, map[string]string{"env": "prod", "role": "arm"}),
		creating,
		failed,
		backup(backupDB1, "db-1 nightly 1", "2025-01-10T03:00:00Z", "x86", 102),
		backup(backupDB2, "db-1 nightly 2", "2025-01-11T03:00:00Z", "x86", 102),
		backup(backupARM, "arm-db nightly", "2025-01-12T03:00:00Z", "arm", seedServerARMBackups),
	} {
		e.AddImage(img)
	}
}

func newSeededEnv(t *testing.T) *acctest.Env {
	env := acctest.New(t, emulator.Options{})
	seedImages(env)
	return env
}

func isString(s string) knownvalue.Check { return knownvalue.StringExact(s) }

func isImageID(n int64) knownvalue.Check { return knownvalue.StringExact(fmt.Sprint(n)) }

func expectAttr(address, attribute string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(address, tfjsonpath.New(attribute), check)
}

// requests asserts how many requests of one route the emulator served since the last reset.
func expectRequests(env *acctest.Env, method, template string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := env.Emulator.RequestCount(method, template); got != want {
			return fmt.Errorf("%s %s was requested %d times, want %d (all requests: %v)",
				method, template, got, want, env.Emulator.Requests())
		}
		return nil
	}
}

func TestAccImageDataSource_everyLookupPathAndFilter(t *testing.T) {
	env := newSeededEnv(t)
	const (
		system   = "data.hetzner_image.system"
		filtered = "data.hetzner_image.filtered"
		backup   = "data.hetzner_image.backup"
		armName  = "data.hetzner_image.arm_name"
		old      = "data.hetzner_image.old"
		newest   = "data.hetzner_image.newest"
		anyEnv   = "data.hetzner_image.any_env"
		armSnap  = "data.hetzner_image.arm_snap"
		writing  = "data.hetzner_image.writing"
	)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.Config(`
data "hetzner_image" "system" {
  id = "1001"
}

data "hetzner_image" "filtered" {
  id                 = "2002"
  type               = ["snapshot", "backup"]
  status             = ["available"]
  architecture       = "x86"
  include_deprecated = false
}

data "hetzner_image" "backup" {
  id       = "3002"
  type     = ["backup"]
  bound_to = 102
}

data "hetzner_image" "arm_name" {
  name         = "ubuntu-24.04"
  architecture = "arm"
}

data "hetzner_image" "old" {
  name               = "ubuntu-20.04"
  include_deprecated = true
}

data "hetzner_image" "newest" {
  label_selector = "env=prod,role=web"
  type           = ["snapshot"]
  status         = ["available"]
  most_recent    = true
}

data "hetzner_image" "any_env" {
  label_selector = "env in (prod, staging),role==web,!legacy"
  status         = ["available"]
  architecture   = "x86"
  most_recent    = true
}

data "hetzner_image" "arm_snap" {
  label_selector = "role"
  type           = ["snapshot"]
  architecture   = "arm"
}

data "hetzner_image" "writing" {
  label_selector = "role notin (arm),env!=staging"
  type           = ["snapshot"]
  most_recent    = true
}
`),
			ConfigStateChecks: []statecheck.StateCheck{
				// By id, every attribute of a system image.
				expectAttr(system, "id", isImageID(emulator.SeedImageUbuntu2404)),
				expectAttr(system, "name", isString("ubuntu-24.04")),
				expectAttr(system, "image_type", isString("system")),
				expectAttr(system, "image_status", isString("available")),
				expectAttr(system, "description", isString("Ubuntu 24.04")),
				expectAttr(system, "labels", knownvalue.MapExact(map[string]knownvalue.Check{})),
				expectAttr(system, "delete_protection", knownvalue.Bool(false)),
				expectAttr(system, "image_size", knownvalue.Null()),
				expectAttr(system, "disk_size", knownvalue.Float64Exact(5)),
				expectAttr(system, "created", isString("2024-04-25T08:00:00Z")),
				expectAttr(system, "created_from", knownvalue.Null()),
				expectAttr(system, "bound_to", knownvalue.Null()),
				expectAttr(system, "os_flavor", isString("ubuntu")),
				expectAttr(system, "os_version", isString("24.04")),
				expectAttr(system, "architecture", isString("x86")),
				expectAttr(system, "rapid_deploy", knownvalue.Bool(true)),
				expectAttr(system, "deprecated", knownvalue.Null()),
				expectAttr(system, "deprecation", knownvalue.Null()),
				expectAttr(system, "type", knownvalue.Null()),
				expectAttr(system, "status", knownvalue.Null()),
				expectAttr(system, "label_selector", knownvalue.Null()),

				// By id with every filter matching: the filters stay as written.
				expectAttr(filtered, "id", isImageID(snapWebAfter)),
				expectAttr(filtered, "image_type", isString("snapshot")),
				expectAttr(filtered, "type", knownvalue.SetExact([]knownvalue.Check{isString("snapshot"), isString("backup")})),
				expectAttr(filtered, "status", knownvalue.SetExact([]knownvalue.Check{isString("available")})),
				expectAttr(filtered, "name", knownvalue.Null()),
				expectAttr(filtered, "description", isString("web after upgrade")),
				expectAttr(filtered, "labels", knownvalue.MapExact(map[string]knownvalue.Check{"env": isString("prod"), "role": isString("web")})),
				expectAttr(filtered, "delete_protection", knownvalue.Bool(true)),
				expectAttr(filtered, "image_size", knownvalue.Float64Exact(1.5)),
				expectAttr(filtered, "created_from", knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id": knownvalue.Int64Exact(101), "name": isString("web-1"),
				})),

				// By id, a backup and its server.
				expectAttr(backup, "id", isImageID(backupDB2)),
				expectAttr(backup, "bound_to", knownvalue.Int64Exact(102)),
				expectAttr(backup, "image_type", isString("backup")),

				// By name and architecture.
				expectAttr(armName, "id", isImageID(emulator.SeedImageUbuntu2404ARM)),
				expectAttr(armName, "architecture", isString("arm")),

				// By name, a deprecated image when asked for.
				expectAttr(old, "id", isImageID(emulator.SeedImageUbuntu2004)),
				expectAttr(old, "deprecated", isString("2025-05-31T00:00:00Z")),
				expectAttr(old, "deprecation", knownvalue.ObjectExact(map[string]knownvalue.Check{
					"announced": isString("2025-05-31T00:00:00Z"), "unavailable_after": isString("2025-08-31T00:00:00Z"),
				})),

				// By label selector, the newest of several.
				expectAttr(newest, "id", isImageID(snapWebAfter)),
				expectAttr(newest, "most_recent", knownvalue.Bool(true)),
				expectAttr(anyEnv, "id", isImageID(snapStaging)),
				// A single match needs no most_recent.
				expectAttr(armSnap, "id", isImageID(snapARM)),
				expectAttr(armSnap, "architecture", isString("arm")),
				// Without a status filter, an image still being written is a candidate.
				expectAttr(writing, "id", isImageID(snapCreating)),
				expectAttr(writing, "image_status", isString("creating")),
				expectAttr(writing, "image_size", knownvalue.Null()),
			},
		}},
	})
}

// The id path costs one GET of the image, the name and selector paths one list request here;
// filters never add requests.
func TestAccImageDataSource_requestsPerRead(t *testing.T) {
	env := newSeededEnv(t)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			PreConfig: env.Emulator.ResetRequests,
			Config: env.Config(`
data "hetzner_image" "by_id" {
  id     = "2001"
  type   = ["snapshot"]
  status = ["available"]
}

data "hetzner_image" "by_name" {
  name         = "debian-12"
  architecture = "arm"
}
`),
			// terraform reads data sources once, while planning; the apply uses that plan.
			Check: resource.ComposeTestCheckFunc(
				expectRequests(env, "GET", "/v1/images/{id}", 1),
				expectRequests(env, "GET", "/v1/images", 1),
			),
			ConfigStateChecks: []statecheck.StateCheck{
				expectAttr("data.hetzner_image.by_id", "id", isImageID(snapWebBefore)),
				expectAttr("data.hetzner_image.by_name", "id", isImageID(emulator.SeedImageDebian12ARM)),
			},
		}},
	})
}

func TestAccImageDataSource_errorsSayWhatHappenedAndWhatToDo(t *testing.T) {
	cases := []struct {
		name   string
		config string
		want   *regexp.Regexp
		// planTime errors come from validation: no request may reach the API.
		planTime bool
	}{
		{
			name:   "unknown id",
			config: `id = "999999"`,
			want: acctest.ExpectDiagnostic("No Image Found",
				"No image with id 999999 exists in the project of this token. Check the id: images deleted outside "+
					"Terraform disappear from the API. To find an image by its properties instead, look it up by name or label_selector."),
		},
		{
			name:   "id excluded by the type filter",
			config: `id = "1001"` + "\n" + `type = ["snapshot", "backup"]`,
			want: acctest.ExpectDiagnostic("No Image Found",
				`Image 1001 exists, but the filters exclude it: type = ["backup", "snapshot"] does not include its type "system". `+
					"Change or remove the filter, or look up another image."),
		},
		{
			name:   "id excluded by several filters",
			config: `id = "2005"` + "\n" + `status = ["available"]` + "\n" + `architecture = "arm"` + "\n" + `bound_to = 102`,
			want: acctest.ExpectDiagnostic("No Image Found",
				`Image 2005 exists, but the filters exclude it: status = ["available"] does not include its status "creating"; `+
					`architecture = "arm" does not match its architecture "x86"; bound_to = 102 does not match: the image is `+
					"not bound to a server (only backups are). Change or remove the filter, or look up another image."),
		},
		{
			name:   "id of a deprecated image without include_deprecated",
			config: `id = "1005"`,
			want: acctest.ExpectDiagnostic("No Image Found",
				"Image 1005 exists, but the filters exclude it: the image is deprecated (since 2025-05-31T00:00:00Z) and "+
					"include_deprecated is not true. Change or remove the filter, or look up another image."),
		},
		{
			name:   "name of several architectures",
			config: `name = "debian-12"` + "\n" + `most_recent = true`,
			want: acctest.ExpectDiagnostic("Image Name Matches Several Architectures",
				`The name "debian-12" matches images of the architectures arm (id 1004), x86 (id 1003), and no architecture `+
					"is set. Set architecture to the one your servers use (x86 or arm); the data source does not assume one."),
		},
		{
			name:   "name without a match",
			config: `name = "debian-13"` + "\n" + `architecture = "arm"`,
			want: acctest.ExpectDiagnostic("No Image Found",
				`No image matches name = "debian-13", architecture = "arm". Deprecated images were not searched. Check the `+
					"query. To see what exists, list images with the hetzner_images data source and fewer filters, or set "+
					"include_deprecated = true to search deprecated images too."),
		},
		{
			name:   "deprecated name without include_deprecated",
			config: `name = "ubuntu-20.04"`,
			want: acctest.ExpectDiagnostic("No Image Found",
				`No image matches name = "ubuntu-20.04". Deprecated images were not searched.`),
		},
		{
			name:   "selector without a match",
			config: `label_selector = "env=prod"` + "\n" + `type = ["backup"]` + "\n" + `bound_to = 102` + "\n" + `include_deprecated = true`,
			want: acctest.ExpectDiagnostic("No Image Found",
				`No image matches label_selector = "env=prod", type = ["backup"], bound_to = 102, include_deprecated = true. `+
					"Check the query. To see what exists, list images with the hetzner_images data source and fewer filters."),
		},
		{
			name:   "selector with several matches",
			config: `label_selector = "env=prod,role=web"` + "\n" + `status = ["available", "unavailable"]`,
			want: acctest.ExpectDiagnostic("Several Images Match",
				`3 images match label_selector = "env=prod,role=web", status = ["available", "unavailable"], newest first:
  - id 2006, snapshot, created 2025-03-15T10:00:00Z, "failed copy"
  - id 2002, snapshot, created 2025-02-01T10:00:00Z, "web after upgrade"
  - id 2001, snapshot, created 2025-01-01T10:00:00Z, "web before upgrade"
Set most_recent = true to take the newest of them, or narrow the query with type, status, architecture, bound_to `+
					"or a more specific label_selector."),
		},
		{
			name:     "no lookup",
			config:   `type = ["snapshot"]`,
			planTime: true,
			want: acctest.ExpectDiagnostic("Missing Attribute Configuration",
				"Exactly one of these attributes must be configured: [id,name,label_selector] Set exactly one of them. "+
					"The filters type, status, architecture, bound_to and include_deprecated narrow the lookup; most_recent "+
					"picks the newest of several matches. To list images by filters alone, use the hetzner_images data source."),
		},
		{
			name:     "two lookups",
			config:   `id = "1001"` + "\n" + `label_selector = "env=prod"`,
			planTime: true,
			want: acctest.ExpectDiagnostic("Invalid Attribute Combination",
				"Exactly one of these attributes must be configured: [id,name,label_selector] Set exactly one of them. "+
					"The filters type, status, architecture, bound_to and include_deprecated narrow the lookup; most_recent "+
					"picks the newest of several matches."),
		},
		{
			name:     "malformed selector",
			config:   `label_selector = "env=prod,role in (web"`,
			planTime: true,
			want: acctest.ExpectDiagnostic("Invalid Label Selector",
				`label selector "env=prod,role in (web", at character 22: expected "," or ")" in the set of values for "role".`),
		},
		{
			name:     "id that is not a number",
			config:   `id = "ubuntu-24.04"`,
			planTime: true,
			want: acctest.ExpectDiagnostic("Invalid Image ID",
				`"ubuntu-24.04" is not an image id: image ids are positive whole numbers such as "12345". Use the id `+
					"attribute of another image, or look the image up by name or label_selector instead."),
		},
		{
			name:     "type outside the API's values",
			config:   `name = "debian-12"` + "\n" + `type = ["iso"]`,
			planTime: true,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value Match",
				`Attribute type[Value("iso")] value must be one of: ["system" "app" "snapshot" "backup"], got: "iso"`),
		},
		{
			name:     "architecture outside the API's values",
			config:   `name = "debian-12"` + "\n" + `architecture = "riscv"`,
			planTime: true,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value Match",
				`Attribute architecture value must be one of: ["x86" "arm"], got: "riscv"`),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newSeededEnv(t)
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      env.Config("data \"hetzner_image\" \"probe\" {\n" + tc.config + "\n}\n"),
					ExpectError: tc.want,
				}},
			})
			if n := env.Emulator.TotalRequests(); tc.planTime && n != 0 {
				t.Errorf("a configuration refused by validation sent %d requests to the API, want 0", n)
			}
		})
	}
}

// The data sources pick what a resource in the same configuration is made from, and a data
// source reads back what the resource made (an id unknown until apply).
func TestAccImageDataSource_feedsAndReadsAnImageResource(t *testing.T) {
	env := newSeededEnv(t)
	const snap = "hetzner_image.from_newest_backup"
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.Config(`
data "hetzner_images" "db_backups" {
  type        = ["backup"]
  bound_to    = 102
  status      = ["available"]
  most_recent = true
}

data "hetzner_image" "web" {
  label_selector = "env=prod,role=web"
  type           = ["snapshot"]
  status         = ["available"]
  most_recent    = true
}

resource "hetzner_image" "from_newest_backup" {
  server_id   = data.hetzner_images.db_backups.images[0].bound_to
  description = "db-1 after ${data.hetzner_images.db_backups.images[0].description}"
  labels = {
    from_backup = data.hetzner_images.db_backups.images[0].id
    web_base    = data.hetzner_image.web.id
  }
}

data "hetzner_image" "made" {
  id     = hetzner_image.from_newest_backup.id
  type   = ["snapshot"]
  status = ["available"]
}
`),
			ConfigStateChecks: []statecheck.StateCheck{
				expectAttr(snap, "server_id", knownvalue.Int64Exact(102)),
				expectAttr(snap, "description", isString("db-1 after db-1 nightly 2")),
				expectAttr(snap, "labels", knownvalue.MapExact(map[string]knownvalue.Check{
					"from_backup": isImageID(backupDB2), "web_base": isImageID(snapWebAfter),
				})),
				statecheck.CompareValuePairs(snap, tfjsonpath.New("id"), "data.hetzner_image.made", tfjsonpath.New("id"), sameValue),
				expectAttr("data.hetzner_image.made", "image_type", isString("snapshot")),
				expectAttr("data.hetzner_image.made", "created_from", knownvalue.ObjectExact(map[string]knownvalue.Check{
					"id": knownvalue.Int64Exact(102), "name": isString("db-1"),
				})),
				expectAttr("data.hetzner_image.made", "labels", knownvalue.MapExact(map[string]knownvalue.Check{
					"from_backup": isImageID(backupDB2), "web_base": isImageID(snapWebAfter),
				})),
			},
		}},
	})
}
