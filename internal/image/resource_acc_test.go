package image_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/acctest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

const snap = "hetzner_image.snap"

// emulatorImage checks what the emulator holds for the image in Terraform's state: the
// provider's word is not enough.
func emulatorImage(env *acctest.Env, address string, check func(emulator.Image) error) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[address]
		if !ok {
			return fmt.Errorf("%s is not in the state", address)
		}
		id, err := strconv.ParseInt(rs.Primary.ID, 10, 64)
		if err != nil {
			return fmt.Errorf("%s has id %q: %w", address, rs.Primary.ID, err)
		}
		img, ok := env.Emulator.Image(id)
		if !ok {
			return fmt.Errorf("image %d of %s does not exist in the emulator", id, address)
		}
		return check(img)
	}
}

func countImages(env *acctest.Env, typ string, want int) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if got := len(env.Emulator.ImagesOfType(typ)); got != want {
			return fmt.Errorf("the emulator holds %d %s images, want %d", got, typ, want)
		}
		return nil
	}
}

func TestAccImageResource_lifecycleUpdatesInPlaceAndImports(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	config := func(description, labels string, protect bool) string {
		return env.Config(fmt.Sprintf(`
resource "hetzner_image" "snap" {
  server_id         = %d
  description       = %q
  labels            = %s
  delete_protection = %t
}
`, emulator.SeedServerNoBackups, description, labels, protect))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config: config("before upgrade", `{ env = "prod", "example.com/role" = "web" }`, false),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(snap, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("type"), knownvalue.StringExact("snapshot")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("status"), knownvalue.StringExact("available")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("server_id"), knownvalue.Int64Exact(emulator.SeedServerNoBackups)),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("created_from"), knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.Int64Exact(emulator.SeedServerNoBackups), "name": knownvalue.StringExact("web-1"),
					})),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("bound_to"), knownvalue.Null()),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("architecture"), knownvalue.StringExact("x86")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("os_flavor"), knownvalue.StringExact("ubuntu")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("disk_size"), knownvalue.Float64Exact(40)),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("image_size"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("delete_protection"), knownvalue.Bool(false)),
				},
				Check: resource.ComposeTestCheckFunc(
					countImages(env, "snapshot", 1),
					emulatorImage(env, snap, func(img emulator.Image) error {
						if img.Status != "available" || img.Description != "before upgrade" || img.Labels["example.com/role"] != "web" {
							return fmt.Errorf("emulator image %+v", img)
						}
						return nil
					}),
				),
			},
			{
				Config: config("after upgrade", `{ env = "prod", "example.com/role" = "web" }`, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(snap, tfjsonpath.New("status"), knownvalue.StringExact("available")),
					plancheck.ExpectKnownValue(snap, tfjsonpath.New("image_size"), knownvalue.NotNull()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(snap, tfjsonpath.New("id"))},
				Check: emulatorImage(env, snap, func(img emulator.Image) error {
					if img.Description != "after upgrade" {
						return fmt.Errorf("emulator description %q", img.Description)
					}
					return nil
				}),
			},
			{
				Config:           config("after upgrade", `{ env = "staging" }`, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(snap, plancheck.ResourceActionUpdate)}},
				Check: emulatorImage(env, snap, func(img emulator.Image) error {
					if len(img.Labels) != 1 || img.Labels["env"] != "staging" {
						return fmt.Errorf("emulator labels %v, want only env=staging", img.Labels)
					}
					return nil
				}),
			},
			{
				Config:            config("after upgrade", `{ env = "staging" }`, true),
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(snap, plancheck.ResourceActionUpdate)}},
				ConfigStateChecks: []statecheck.StateCheck{sameID.AddStateValue(snap, tfjsonpath.New("id"))},
				Check: emulatorImage(env, snap, func(img emulator.Image) error {
					if !img.Protection.Delete {
						return fmt.Errorf("the emulator's image is not protected")
					}
					return nil
				}),
			},
			{
				Config: config("after upgrade", `{}`, false),
				Check: emulatorImage(env, snap, func(img emulator.Image) error {
					if img.Protection.Delete || len(img.Labels) != 0 {
						return fmt.Errorf("emulator image protected=%t labels=%v, want unprotected without labels", img.Protection.Delete, img.Labels)
					}
					return nil
				}),
			},
			{
				ResourceName:            snap,
				ImportState:             true,
				ImportStateVerify:       true,
				ImportStateVerifyIgnore: []string{"timeouts"},
			},
			{
				Config:          config("after upgrade", `{}`, false),
				ResourceName:    snap,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}

func TestAccImageResource_generatedDescriptionIsKept(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			Config: env.Config(`resource "hetzner_image" "snap" { server_id = 101 }`),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(snap, tfjsonpath.New("description"), knownvalue.StringRegexp(regexp.MustCompile(`^web-1-snapshot-`))),
				statecheck.ExpectKnownValue(snap, tfjsonpath.New("labels"), knownvalue.MapExact(map[string]knownvalue.Check{})),
			},
			// The state keeps the description the API generated, not one of its own.
			Check: func(st *terraform.State) error {
				return emulatorImage(env, snap, func(img emulator.Image) error {
					if got := st.RootModule().Resources[snap].Primary.Attributes["description"]; got != img.Description {
						return fmt.Errorf("state description %q, emulator %q", got, img.Description)
					}
					return nil
				})(st)
			},
		}, {
			Config:           env.Config(`resource "hetzner_image" "snap" { server_id = 101 }`),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
		}},
	})
}

func TestAccImageResource_backupConvertsToSnapshotInPlace(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	config := func(typ string) string {
		return env.Config(fmt.Sprintf(`
resource "hetzner_image" "snap" {
  server_id   = %d
  type        = %q
  description = "nightly"
}
`, emulator.SeedServerBackups, typ))
	}
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config: config("backup"),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(snap, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("type"), knownvalue.StringExact("backup")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("bound_to"), knownvalue.Int64Exact(emulator.SeedServerBackups)),
				},
				Check: countImages(env, "backup", 1),
			},
			{
				Config: config("snapshot"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(snap, tfjsonpath.New("bound_to"), knownvalue.Null()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(snap, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("type"), knownvalue.StringExact("snapshot")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("bound_to"), knownvalue.Null()),
				},
				Check: resource.ComposeTestCheckFunc(
					countImages(env, "backup", 0),
					emulatorImage(env, snap, func(img emulator.Image) error {
						if img.Type != "snapshot" || img.BoundTo != nil {
							return fmt.Errorf("emulator image type %s bound_to %v, want an unbound snapshot", img.Type, img.BoundTo)
						}
						return nil
					}),
				),
			},
			{
				Config:      config("backup"),
				ExpectError: acctest.ExpectDiagnostic("Snapshot Cannot Become A Backup", `This image is a snapshot, and the Hetzner Cloud API cannot turn a snapshot into a backup (only backup → snapshot exists). Keep type = "snapshot", or declare a new hetzner_image with type = "backup" for the server.`),
			},
		},
	})
}

func TestAccImageResource_protectedDestroyIsRefused(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	config := func(protect bool) string {
		return env.Config(fmt.Sprintf(`
resource "hetzner_image" "snap" {
  server_id         = 101
  delete_protection = %t
}
`, protect))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config: config(true),
				Check: emulatorImage(env, snap, func(img emulator.Image) error {
					if !img.Protection.Delete {
						return fmt.Errorf("created without protection")
					}
					return nil
				}),
			},
			{
				Config:  config(true),
				Destroy: true,
				ExpectError: acctest.ExpectDiagnostic("Image Is Protected From Deletion",
					`has delete protection, so it was not deleted. Terraform never lifts the protection on its own: set delete_protection = false, run terraform apply, then destroy again.`),
			},
			{
				// The refused destroy left the image where it was, protected.
				Config: config(true),
				Check: resource.ComposeTestCheckFunc(countImages(env, "snapshot", 1), emulatorImage(env, snap, func(img emulator.Image) error {
					if !img.Protection.Delete {
						return fmt.Errorf("the protection was lifted")
					}
					return nil
				})),
			},
			{Config: config(false)},
		},
	})
}

func TestAccImageResource_deletedOutsideTerraformIsCreatedAgain(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	config := env.Config(`resource "hetzner_image" "snap" { server_id = 101 }`)
	differentID := statecheck.CompareValue(compare.ValuesDiffer())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config:            config,
				ConfigStateChecks: []statecheck.StateCheck{differentID.AddStateValue(snap, tfjsonpath.New("id"))},
			},
			{
				PreConfig: func() {
					for _, img := range env.Emulator.ImagesOfType("snapshot") {
						if err := env.Client().DeleteImage(context.Background(), img.ID); err != nil {
							t.Fatal(err)
						}
					}
				},
				Config:            config,
				ConfigPlanChecks:  resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(snap, plancheck.ResourceActionCreate)}},
				ConfigStateChecks: []statecheck.StateCheck{differentID.AddStateValue(snap, tfjsonpath.New("id"))},
				Check:             countImages(env, "snapshot", 1),
			},
		},
	})
}

func TestAccImageResource_failedActionTaintsAndIsReplaced(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	config := env.Config(`resource "hetzner_image" "snap" {
  server_id   = 101
  description = "release"
}`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				PreConfig: func() { env.Emulator.FailNextAction("create_image", "image_failed", "disk read error") },
				Config:    config,
				ExpectError: acctest.ExpectDiagnostic("Image Creation Did Not Finish",
					`While waiting for image 1007 of server 101 to be written, action 10001 (create_image) ended in error "image_failed": disk read error `+
						`Image 1007 is kept in the Terraform state and marked tainted: the next terraform apply deletes it and creates a new one (or run terraform untaint if it turns out usable).`),
			},
			{
				Config: config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(
					countImages(env, "snapshot", 1),
					emulatorImage(env, snap, func(img emulator.Image) error {
						if img.ID == 1007 || img.Status != "available" {
							return fmt.Errorf("emulator image %d is %s, want a new available one", img.ID, img.Status)
						}
						return nil
					}),
				),
			},
		},
	})
}

func TestAccImageResource_createTimeoutKeepsTheImage(t *testing.T) {
	env := acctest.New(t, emulator.Options{ActionDuration: 3 * time.Second})
	config := func(timeout string) string {
		return env.Config(fmt.Sprintf(`resource "hetzner_image" "snap" {
  server_id = 101
  timeouts {
    create = %q
  }
}`, timeout))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config:      config("1s"),
				ExpectError: regexp.MustCompile(`Image Creation Did Not Finish(?s:.*)context deadline exceeded(?s:.*)kept in the Terraform state and marked tainted`),
			},
			{
				// The timed-out image is in the state (tainted): the next apply replaces it
				// rather than leaving it behind.
				Config: config("1m"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: countImages(env, "snapshot", 1),
			},
		},
	})
}

func TestAccImageResource_busyServerIsWaitedFor(t *testing.T) {
	env := acctest.New(t, emulator.Options{ActionDuration: 100 * time.Millisecond})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			// One server can write one image at a time: the other nineteen find it locked.
			PreConfig: func() { env.Emulator.LockServer(emulator.SeedServerNoBackups, time.Second) },
			Config: env.Config(`resource "hetzner_image" "snap" {
  count       = 20
  server_id   = 101
  description = "copy ${count.index}"
}`),
			Check: resource.ComposeTestCheckFunc(
				countImages(env, "snapshot", 20),
				func(*terraform.State) error {
					if n := env.Emulator.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); n <= 20 {
						return fmt.Errorf("%d create_image requests: the server was never found busy, so the test proves nothing", n)
					}
					return nil
				},
				func(*terraform.State) error {
					for _, img := range env.Emulator.ImagesOfType("snapshot") {
						if img.Status != "available" {
							return fmt.Errorf("image %d is %s", img.ID, img.Status)
						}
					}
					return nil
				},
			),
		}},
	})
}

func TestAccImageResource_lostCreateAnswerMakesOneImage(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				env.Emulator.FailNext(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Drop: emulator.DropAfterProcessing})
			},
			Config: env.Config(`resource "hetzner_image" "snap" {
  server_id   = 101
  description = "release 1.2"
  labels      = { release = "1.2" }
}`),
			Check: resource.ComposeTestCheckFunc(
				countImages(env, "snapshot", 1),
				func(*terraform.State) error {
					if n := env.Emulator.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); n != 1 {
						return fmt.Errorf("%d create_image requests, want 1: the lost one was adopted, not repeated", n)
					}
					return nil
				},
				emulatorImage(env, snap, func(img emulator.Image) error {
					if img.Status != "available" {
						return fmt.Errorf("adopted image is %s", img.Status)
					}
					return nil
				}),
			),
		}},
	})
}

func TestAccImageResource_lostAnswerBeforeProcessingCreatesAgain(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			PreConfig: func() {
				env.Emulator.FailNext(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 502, RawBody: "<html>502 Bad Gateway</html>"})
			},
			Config: env.Config(`resource "hetzner_image" "snap" { server_id = 101 }`),
			Check: resource.ComposeTestCheckFunc(
				countImages(env, "snapshot", 1),
				func(*terraform.State) error {
					if n := env.Emulator.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); n != 2 {
						return fmt.Errorf("%d create_image requests, want 2: none was made by the first, so it is sent again", n)
					}
					return nil
				},
			),
		}},
	})
}

func TestAccImageResource_importBySelectorAndRefusals(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	var ids []int64
	for _, role := range []string{"db", "web", "web"} {
		img := env.Emulator.AddImage(emulator.Image{
			Type: "snapshot", Status: "available", Description: role + " snapshot", Architecture: "x86", OSFlavor: "debian", DiskSize: 80,
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerBackups, Name: "db-1"},
			Labels:      map[string]string{"env": "prod", "role": role},
		})
		ids = append(ids, img.ID)
	}
	config := env.Config(`resource "hetzner_image" "snap" {
  server_id   = 102
  description = "db snapshot"
  labels      = { env = "prod", role = "db" }
}`)
	// Refused imports need a resource block to import into.
	withOther := config + `
resource "hetzner_image" "other" { server_id = 102 }`
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:             config,
				ResourceName:       snap,
				ImportState:        true,
				ImportStateId:      "selector:env=prod,role=db",
				ImportStatePersist: true,
				ImportStateCheck: func(states []*terraform.InstanceState) error {
					if len(states) != 1 || states[0].ID != strconv.FormatInt(ids[0], 10) {
						return fmt.Errorf("imported %v, want image %d", states, ids[0])
					}
					return nil
				},
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			{
				Config:        withOther,
				ResourceName:  "hetzner_image.other",
				ImportState:   true,
				ImportStateId: "selector:env=prod,role=web",
				ExpectError:   regexp.MustCompile(fmt.Sprintf(`Import Selector Must Match One Image(?s:.*)matches 2 snapshots and backups(?s:.*)id %d, snapshot(?s:.*)id %d, snapshot`, ids[1], ids[2])),
			},
			{
				Config:        withOther,
				ResourceName:  "hetzner_image.other",
				ImportState:   true,
				ImportStateId: strconv.FormatInt(emulator.SeedImageUbuntu2404, 10),
				ExpectError: acctest.ExpectDiagnostic("Cannot Import A System Image",
					"Image 1001 (ubuntu-24.04) is a system image that Hetzner provides; hetzner_image manages only your snapshots and backups. Read it with the hetzner_image data source instead."),
			},
			{
				Config:        withOther,
				ResourceName:  "hetzner_image.other",
				ImportState:   true,
				ImportStateId: "web-snapshot",
				ExpectError:   acctest.ExpectDiagnostic("Invalid Import ID", `"web-snapshot" is neither an image id nor a selector.`),
			},
			{
				Config:        withOther,
				ResourceName:  "hetzner_image.other",
				ImportState:   true,
				ImportStateId: "selector:env=(prod",
				ExpectError:   regexp.MustCompile(`Invalid Import Selector(?s:.*)at character 5`),
			},
		},
	})
}

func TestAccImageResource_invalidInputFailsAtPlan(t *testing.T) {
	cases := []struct {
		name   string
		config string
		want   *regexp.Regexp
	}{
		{
			name: "label key with a leading dash",
			config: `resource "hetzner_image" "snap" {
  server_id = 101
  labels    = { "-env" = "prod" }
}`,
			want: acctest.ExpectDiagnostic("Invalid Label Key",
				`label key "-env" must begin and end with a letter or digit and use only letters, digits, "-", "_" and "." between. Rename the label so that it follows the Hetzner Cloud label rules.`),
		},
		{
			name: "reserved label prefix",
			config: `resource "hetzner_image" "snap" {
  server_id = 101
  labels    = { "hetzner.cloud/owner" = "me" }
}`,
			want: acctest.ExpectDiagnostic("Invalid Label Key", `label key "hetzner.cloud/owner" uses the prefix "hetzner.cloud/", which Hetzner reserves for its own labels.`),
		},
		{
			name: "label value with a space",
			config: `resource "hetzner_image" "snap" {
  server_id = 101
  labels    = { env = "prod db" }
}`,
			want: acctest.ExpectDiagnostic("Invalid Label Value", `label "env" has value "prod db", which must be empty or begin and end with a letter or digit`),
		},
		{
			name: "unknown type",
			config: `resource "hetzner_image" "snap" {
  server_id = 101
  type      = "system"
}`,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value Match", `Attribute type value must be one of: ["snapshot" "backup"], got: "system"`),
		},
		{
			name: "protected backup",
			config: `resource "hetzner_image" "snap" {
  server_id         = 102
  type              = "backup"
  delete_protection = true
}`,
			want: acctest.ExpectDiagnostic("Backups Cannot Be Protected", `The Hetzner Cloud API protects snapshots only, so delete_protection = true needs type = "snapshot".`),
		},
		{
			name:   "server id zero",
			config: `resource "hetzner_image" "snap" { server_id = 0 }`,
			want:   acctest.ExpectDiagnostic("Invalid Attribute Value", `Attribute server_id value must be at least 1, got: 0`),
		},
		{
			name: "timeout that is not a duration",
			config: `resource "hetzner_image" "snap" {
  server_id = 101
  timeouts {
    create = "soon"
  }
}`,
			want: acctest.ExpectDiagnostic("Invalid Attribute Value Time Duration",
				`"soon" must be a string containing a sequence of decimal numbers, each with optional fraction and a unit suffix, such as "300ms", "-1.5h" or "2h45m".`),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := acctest.New(t, emulator.Options{})
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps:                    []resource.TestStep{{Config: env.Config(tc.config), ExpectError: tc.want}},
			})
			for route, n := range env.Emulator.Requests() {
				if route[:3] != "GET" {
					t.Errorf("a refused configuration changed the emulator: %d × %s", n, route)
				}
			}
			if n := len(env.Emulator.ImagesOfType(emulator.ImageTypeSnapshot, emulator.ImageTypeBackup)); n != 0 {
				t.Errorf("%d images were made", n)
			}
		})
	}
}

func TestAccImageResource_typeLeftOutNeverConverts(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	backupOf := int64(emulator.SeedServerBackups)
	backup := env.Emulator.AddImage(emulator.Image{
		Type: "backup", Status: "available", Description: "daily", Architecture: "x86", OSFlavor: "debian", DiskSize: 80,
		CreatedFrom: &emulator.CreatedFrom{ID: backupOf, Name: "db-1"}, BoundTo: &backupOf,
	})
	config := env.Config(`resource "hetzner_image" "snap" {
  server_id   = 102
  description = "daily"
}`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				// An import block whose plan is a pure import: without a type argument the
				// backup stays a backup rather than being converted, irreversibly.
				Config:          config,
				ResourceName:    snap,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
				ImportStateId:   strconv.FormatInt(backup.ID, 10),
			},
			{
				Config:             config,
				ResourceName:       snap,
				ImportState:        true,
				ImportStateId:      strconv.FormatInt(backup.ID, 10),
				ImportStatePersist: true,
			},
			{
				Config:           config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
				Check: emulatorImage(env, snap, func(img emulator.Image) error {
					if img.Type != "backup" || img.BoundTo == nil {
						return fmt.Errorf("emulator image is a %s bound to %v, want the backup untouched", img.Type, img.BoundTo)
					}
					return nil
				}),
			},
		},
	})
}

func TestAccImageResource_snapshotReplacedByABackupOfAnotherServer(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{Config: env.Config(`resource "hetzner_image" "snap" { server_id = 101 }`)},
			{
				// A new server means a new image anyway, so the declared type is simply created.
				Config: env.Config(`resource "hetzner_image" "snap" {
  server_id = 102
  type      = "backup"
}`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(countImages(env, "snapshot", 0), countImages(env, "backup", 1)),
			},
		},
	})
}
