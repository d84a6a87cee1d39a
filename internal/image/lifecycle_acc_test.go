package image_test

import (
	"fmt"
	"regexp"
	"slices"
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

// powerEnv is an emulator whose servers take 400ms to shut down after the request, longer
// than the 100ms the shutdown action itself runs: a client that trusts the action alone would
// copy a running disk.
func powerEnv(t *testing.T) *acctest.Env {
	t.Helper()
	return acctest.New(t, emulator.Options{PowerActionDuration: 100 * time.Millisecond, ShutdownDuration: 400 * time.Millisecond})
}

// serverIs checks a server's final status and its whole power history in the emulator.
func serverIs(env *acctest.Env, id int64, status string, history ...string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for _, s := range env.Emulator.Servers() {
			if s.ID == id && s.Status != status {
				return fmt.Errorf("server %d is %q, want %q", id, s.Status, status)
			}
		}
		if got := env.Emulator.ServerHistory(id); !slices.Equal(got, history) {
			return fmt.Errorf("history of server %d:\n got %v\nwant %v", id, got, history)
		}
		return nil
	}
}

func ignoreACPI(t *testing.T, env *acctest.Env, id int64) {
	t.Helper()
	ignore := true
	if found, err := env.Emulator.SetServerPower(id, nil, &ignore); !found || err != nil {
		t.Fatalf("server %d: found %t, %v", id, found, err)
	}
}

// consistentSnapshot is the history of a running server imaged with shutdown_before_create.
var consistentSnapshot = []string{"shutdown_server", "stopping", "off", "create_image (off)", "start_server", "starting", "running"}

func shutdownConfig(env *acctest.Env, serverID int64, settings string) string {
	return env.Config(fmt.Sprintf(`
resource "hetzner_image" "snap" {
  server_id   = %d
  description = "consistent"
%s
}
`, serverID, settings))
}

// noChangeRequests fails when anything but a read reached the emulator since the last reset.
func noChangeRequests(env *acctest.Env) resource.TestCheckFunc {
	return func(*terraform.State) error {
		for route, n := range env.Emulator.Requests() {
			if n > 0 && !regexp.MustCompile(`^GET `).MatchString(route) {
				return fmt.Errorf("%d requests %s, want only reads", n, route)
			}
		}
		return nil
	}
}

func TestAccImageResource_shutdownBeforeCreateImagesTheServerWhileOff(t *testing.T) {
	env := powerEnv(t)
	const srv = emulator.SeedServerNoBackups
	sameID := statecheck.CompareValue(compare.ValuesSame())
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config: shutdownConfig(env, srv, `  shutdown_before_create = true`),
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(snap, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("status"), knownvalue.StringExact("available")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("shutdown_before_create"), knownvalue.Bool(true)),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("shutdown_timeout"), knownvalue.StringExact("3m")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("poweroff_on_shutdown_timeout"), knownvalue.Bool(false)),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("skip_destroy"), knownvalue.Bool(false)),
				},
				Check: resource.ComposeTestCheckFunc(
					countImages(env, "snapshot", 1),
					serverIs(env, srv, emulator.ServerStatusRunning, consistentSnapshot...),
					func(*terraform.State) error { env.Emulator.ResetRequests(); return nil },
				),
			},
			{
				// A creation-time setting: the change is planned in place and sends nothing.
				Config: shutdownConfig(env, srv, `  shutdown_before_create = false`),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					sameID.AddStateValue(snap, tfjsonpath.New("id")),
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("shutdown_before_create"), knownvalue.Bool(false)),
				},
				Check: resource.ComposeTestCheckFunc(
					noChangeRequests(env),
					serverIs(env, srv, emulator.ServerStatusRunning, consistentSnapshot...),
				),
			},
			{
				ResourceName:      snap,
				ImportState:       true,
				ImportStateVerify: true,
			},
		},
	})
}

func TestAccImageResource_shutdownBeforeCreateLeavesAServerThatIsOffOff(t *testing.T) {
	env := powerEnv(t)
	srv := env.Emulator.AddServer(emulator.Server{Name: "off-1", DiskSize: 20, Status: emulator.ServerStatusOff})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			Config: shutdownConfig(env, srv.ID, `  shutdown_before_create = true`),
			Check: resource.ComposeTestCheckFunc(
				countImages(env, "snapshot", 1),
				serverIs(env, srv.ID, emulator.ServerStatusOff, "create_image (off)"),
			),
		}},
	})
}

func TestAccImageResource_ignoredShutdownFailsWithoutAnImageAndTheServerRuns(t *testing.T) {
	env := powerEnv(t)
	const srv = emulator.SeedServerNoBackups
	ignoreACPI(t, env, srv)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			Config: shutdownConfig(env, srv, `  shutdown_before_create = true
  shutdown_timeout       = "1s"`),
			ExpectError: acctest.ExpectDiagnostic("Server Did Not Shut Down",
				`Server 101 (web-1) was still running 1s after the graceful shutdown request, so no image was created and the server was left running.`),
		}, {
			// Nothing was created: the state is empty and so is the emulator.
			Config:      shutdownConfig(env, srv, `  shutdown_before_create = true`),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(`(?s)non-refresh plan was not empty.*hetzner_image\.snap will be created`),
			Check:       resource.ComposeTestCheckFunc(countImages(env, "snapshot", 0)),
		}},
	})
	if got := env.Emulator.ServerHistory(srv); !slices.Equal(got, []string{"shutdown_server", "start_server"}) {
		t.Errorf("history = %v, want the shutdown request and a power-on that changed nothing", got)
	}
	if n := len(env.Emulator.ImagesOfType(emulator.ImageTypeSnapshot)); n != 0 {
		t.Errorf("%d snapshots, want none", n)
	}
}

func TestAccImageResource_ignoredShutdownWithPoweroffOptIn(t *testing.T) {
	env := powerEnv(t)
	const srv = emulator.SeedServerNoBackups
	ignoreACPI(t, env, srv)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			Config: shutdownConfig(env, srv, `  shutdown_before_create       = true
  shutdown_timeout             = "1s"
  poweroff_on_shutdown_timeout = true`),
			Check: resource.ComposeTestCheckFunc(
				countImages(env, "snapshot", 1),
				serverIs(env, srv, emulator.ServerStatusRunning, "shutdown_server", "stop_server", "stopping", "off",
					"create_image (off)", "start_server", "starting", "running"),
			),
		}},
	})
}

func TestAccImageResource_failedImageStillPowersTheServerOn(t *testing.T) {
	env := powerEnv(t)
	const srv = emulator.SeedServerNoBackups
	env.Emulator.FailNextAction("create_image", "", "copying the disk failed")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			Config:      shutdownConfig(env, srv, `  shutdown_before_create = true`),
			ExpectError: regexp.MustCompile(`Image Creation Did Not Finish`),
		}},
	})
	if got := env.Emulator.ServerHistory(srv); !slices.Equal(got, consistentSnapshot) {
		t.Errorf("history = %v, want %v", got, consistentSnapshot)
	}
}

func TestAccImageResource_failedPowerOnComesFirstAndNamesTheServer(t *testing.T) {
	env := powerEnv(t)
	const srv = emulator.SeedServerNoBackups
	env.Emulator.FailNextAction("start_server", "", "the host did not answer")
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{{
			Config: shutdownConfig(env, srv, `  shutdown_before_create = true`),
			ExpectError: acctest.ExpectDiagnostic("Server Left Powered Off",
				`Server 101 (web-1) is OFF. It was shut down for a consistent image (shutdown_before_create), and powering it on again failed`),
		}},
	})
}

func TestAccImageResource_shutdownSettingsNeedShutdownBeforeCreate(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config:      shutdownConfig(env, emulator.SeedServerNoBackups, `  poweroff_on_shutdown_timeout = true`),
			ExpectError: acctest.ExpectDiagnostic("Power-Off Without Shutdown", `poweroff_on_shutdown_timeout only applies when the server is shut down for the image.`),
		}, {
			Config:      shutdownConfig(env, emulator.SeedServerNoBackups, "  shutdown_before_create = true\n  shutdown_timeout = \"soon\""),
			ExpectError: acctest.ExpectDiagnostic("Invalid Shutdown Timeout", `"soon" is not a positive duration.`),
		}},
	})
	if n := env.Emulator.TotalRequests(); n != 0 {
		t.Errorf("%d requests for configurations that fail validation, want none", n)
	}
}

func skipDestroyConfig(env *acctest.Env, serverID int64, skip bool) string {
	return env.Config(fmt.Sprintf(`
resource "hetzner_image" "snap" {
  server_id    = %d
  skip_destroy = %t
}
`, serverID, skip))
}

// imagesLeft checks which snapshots the emulator holds, by the servers they were made from.
func snapshotsFrom(env *acctest.Env, servers ...int64) resource.TestCheckFunc {
	return func(*terraform.State) error {
		var got []int64
		for _, img := range env.Emulator.ImagesOfType(emulator.ImageTypeSnapshot) {
			got = append(got, img.CreatedFrom.ID)
		}
		if !slices.Equal(got, servers) {
			return fmt.Errorf("snapshots made from servers %v, want %v", got, servers)
		}
		return nil
	}
}

func TestAccImageResource_skipDestroyKeepsTheImageOnReplaceAndDestroy(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		// Both images outlive the configuration: the one replaced and the one destroyed.
		CheckDestroy: snapshotsFrom(env, emulator.SeedServerNoBackups, emulator.SeedServerARM),
		Steps: []resource.TestStep{
			{
				Config: skipDestroyConfig(env, emulator.SeedServerNoBackups, true),
				Check:  snapshotsFrom(env, emulator.SeedServerNoBackups),
			},
			{
				// server_id changes: the resource is replaced, the old image stays.
				Config: skipDestroyConfig(env, emulator.SeedServerARM, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: snapshotsFrom(env, emulator.SeedServerNoBackups, emulator.SeedServerARM),
			},
		},
	})
}

func TestAccImageResource_skipDestroyTurnedOffDeletesAgain(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config: skipDestroyConfig(env, emulator.SeedServerNoBackups, true),
				Check:  func(*terraform.State) error { env.Emulator.ResetRequests(); return nil },
			},
			{
				Config: skipDestroyConfig(env, emulator.SeedServerNoBackups, false),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(snap, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(snap, tfjsonpath.New("skip_destroy"), knownvalue.Bool(false)),
				},
				Check: noChangeRequests(env),
			},
		},
	})
}

func TestAccImageResource_skipDestroyKeepsAProtectedImageProtected(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	var kept int64
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy: func(*terraform.State) error {
			imgs := env.Emulator.ImagesOfType(emulator.ImageTypeSnapshot)
			if len(imgs) != 1 || !imgs[0].Protection.Delete {
				return fmt.Errorf("snapshots after destroy: %+v, want the one image, still protected", imgs)
			}
			kept = imgs[0].ID
			return nil
		},
		Steps: []resource.TestStep{{
			Config: env.Config(fmt.Sprintf(`
resource "hetzner_image" "snap" {
  server_id         = %d
  skip_destroy      = true
  delete_protection = true
}
`, emulator.SeedServerNoBackups)),
		}},
	})
	env.Emulator.RemoveImage(kept)
}
