package image_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/acctest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// onlySnapshotID checks an identity's id against the one snapshot the emulator holds.
func onlySnapshotID(env *acctest.Env) knownvalue.Check {
	return knownvalue.Int64Func(func(id int64) error {
		snaps := env.Emulator.ImagesOfType(emulator.ImageTypeSnapshot)
		if len(snaps) != 1 || snaps[0].ID != id {
			return fmt.Errorf("identity id %d is not the one snapshot of the emulator (%v)", id, snaps)
		}
		return nil
	})
}

func TestAccImageResource_identityIsTheImageIDAndImports(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	config := env.Config(fmt.Sprintf(`
resource "hetzner_image" "snap" {
  server_id   = %d
  description = "identity"
  labels      = { env = "prod" }
}
`, emulator.SeedServerNoBackups))
	resource.ParallelTest(t, resource.TestCase{
		// Identity in import blocks came with Terraform 1.12.
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		CheckDestroy:             env.CheckNoUserImages,
		Steps: []resource.TestStep{
			{
				Config: config,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectIdentity(snap, map[string]knownvalue.Check{"id": onlySnapshotID(env)}),
				},
			},
			{
				// import { to = hetzner_image.snap, identity = { id = N } }, planned: no change.
				ResourceName:    snap,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithResourceIdentity,
			},
			{
				ResourceName:    snap,
				ImportState:     true,
				ImportStateKind: resource.ImportBlockWithID,
			},
		},
	})
}

func TestAccImageResource_importByIdentityOfAMissingOrSystemImageIsRefused(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	importBlock := func(id int64) string {
		return env.Config(fmt.Sprintf(`
import {
  to       = hetzner_image.snap
  identity = { id = %d }
}

resource "hetzner_image" "snap" {
  server_id = %d
}
`, id, emulator.SeedServerNoBackups))
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_12_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Config:      importBlock(999999),
				ExpectError: acctest.ExpectDiagnostic("Image Not Found", "No image with id 999999 exists in the project of this token."),
			},
			{
				Config: importBlock(0),
				ExpectError: acctest.ExpectDiagnostic("Invalid Image Identity", "The import block's identity gives id = 0; "+
					"it must be the image's id, a positive whole number, such as identity = { id = 1234 }."),
			},
			{
				Config:      importBlock(emulator.SeedImageUbuntu2404),
				ExpectError: regexp.MustCompile(`Cannot Import A System Image`),
			},
		},
	})
}
