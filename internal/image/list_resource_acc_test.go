package image_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/acctest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// queryImages are the images the query tests find: a snapshot with a description and labels,
// a protected one without labels, a backup, a snapshot of a server deleted since, and an arm
// snapshot. The seeded system and app images are never listed.
type queryImages struct {
	labelled, protected, backup, orphan, arm emulator.Image
}

func seedQueryImages(env *acctest.Env) queryImages {
	size := 2.5
	created := time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)
	backupOf := emulator.SeedServerBackups
	return queryImages{
		labelled: env.Emulator.AddImage(emulator.Image{Description: "web before the upgrade", ImageSize: &size,
			DiskSize: 40, Created: created, Labels: map[string]string{"env": "prod", "role": "web"},
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}}),
		protected: env.Emulator.AddImage(emulator.Image{Description: "", ImageSize: &size, DiskSize: 40,
			Created: created.Add(time.Hour), Protection: emulator.Protection{Delete: true},
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}}),
		backup: env.Emulator.AddImage(emulator.Image{Type: emulator.ImageTypeBackup, Description: "db-1 backup",
			ImageSize: &size, DiskSize: 80, Created: created.Add(2 * time.Hour), BoundTo: &backupOf,
			Labels:      map[string]string{"env": "prod"},
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerBackups, Name: "db-1"}}),
		orphan: env.Emulator.AddImage(emulator.Image{Description: "old web", ImageSize: &size, DiskSize: 20,
			Created: created.Add(3 * time.Hour), Labels: map[string]string{"env": "staging"},
			CreatedFrom: &emulator.CreatedFrom{ID: 4242, Name: "web-0"}}),
		arm: env.Emulator.AddImage(emulator.Image{Description: "arm", ImageSize: &size, DiskSize: 40,
			Architecture: "arm", Created: created.Add(4 * time.Hour),
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerARM, Name: "arm-1"}}),
	}
}

func identityOf(img emulator.Image) map[string]knownvalue.Check {
	return map[string]knownvalue.Check{"id": knownvalue.Int64Exact(img.ID)}
}

func byIdentity(img emulator.Image) queryfilter.QueryFilter {
	return queryfilter.ByResourceIdentity(identityOf(img))
}

// listBlock is a list block of the hetzner_image list resource named NAME, with the given
// arguments around config and inside it.
func listBlock(name, outside, config string) string {
	return fmt.Sprintf(`
list "hetzner_image" %q {
  provider = hetzner
  %s
  config {
    %s
  }
}
`, name, outside, config)
}

func TestAccImageListResource_findsSnapshotsAndBackupsWithIdentityAndDisplayName(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	imgs := seedQueryImages(env)
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Query:  true,
				Config: env.ProviderConfig() + listBlock("all", "", ""),
				QueryResultChecks: []querycheck.QueryResultCheck{
					// The five user images, and none of the seeded system and app images.
					querycheck.ExpectLength("hetzner_image.all", 5),
					querycheck.ExpectIdentity("hetzner_image.all", identityOf(imgs.labelled)),
					querycheck.ExpectIdentity("hetzner_image.all", identityOf(imgs.protected)),
					querycheck.ExpectIdentity("hetzner_image.all", identityOf(imgs.backup)),
					querycheck.ExpectIdentity("hetzner_image.all", identityOf(imgs.orphan)),
					querycheck.ExpectIdentity("hetzner_image.all", identityOf(imgs.arm)),
					querycheck.ExpectResourceDisplayName("hetzner_image.all", byIdentity(imgs.labelled), knownvalue.StringExact(
						fmt.Sprintf(`snapshot %d · "web before the upgrade" · from server web-1 (101) · 2.5 GB · 2026-11-30 08:15 UTC`, imgs.labelled.ID))),
					querycheck.ExpectResourceDisplayName("hetzner_image.all", byIdentity(imgs.protected), knownvalue.StringExact(
						fmt.Sprintf(`snapshot %d · no description · from server web-1 (101) · 2.5 GB · 2026-11-30 09:15 UTC`, imgs.protected.ID))),
					querycheck.ExpectResourceDisplayName("hetzner_image.all", byIdentity(imgs.backup), knownvalue.StringExact(
						fmt.Sprintf(`backup %d · "db-1 backup" · from server db-1 (102) · 2.5 GB · 2026-11-30 10:15 UTC`, imgs.backup.ID))),
					querycheck.ExpectResourceDisplayName("hetzner_image.all", byIdentity(imgs.orphan), knownvalue.StringExact(
						fmt.Sprintf(`snapshot %d · "old web" · from server web-0 (4242) · 2.5 GB · 2026-11-30 11:15 UTC`, imgs.orphan.ID))),
				},
			},
			{
				Query: true,
				Config: env.ProviderConfig() +
					listBlock("prod", "", `label_selector = "env=prod"`) +
					listBlock("backups", "", `type = ["backup"]`) +
					listBlock("arm", "", `architecture = ["arm"]`) +
					listBlock("newest", "limit = 2", `most_recent = true`) +
					listBlock("server", "", `bound_to = 102`),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("hetzner_image.prod", 2),
					querycheck.ExpectIdentity("hetzner_image.prod", identityOf(imgs.labelled)),
					querycheck.ExpectIdentity("hetzner_image.prod", identityOf(imgs.backup)),
					querycheck.ExpectLength("hetzner_image.backups", 1),
					querycheck.ExpectIdentity("hetzner_image.backups", identityOf(imgs.backup)),
					querycheck.ExpectLength("hetzner_image.arm", 1),
					querycheck.ExpectIdentity("hetzner_image.arm", identityOf(imgs.arm)),
					querycheck.ExpectLength("hetzner_image.newest", 2),
					querycheck.ExpectIdentity("hetzner_image.newest", identityOf(imgs.arm)),
					querycheck.ExpectIdentity("hetzner_image.newest", identityOf(imgs.orphan)),
					querycheck.ExpectLength("hetzner_image.server", 1),
					querycheck.ExpectIdentity("hetzner_image.server", identityOf(imgs.backup)),
				},
			},
		},
	})
}

func TestAccImageListResource_includeResourceIsTheImportedResource(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	imgs := seedQueryImages(env)
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Query:  true,
			Config: env.ProviderConfig() + listBlock("all", "include_resource = true", ""),
			QueryResultChecks: []querycheck.QueryResultCheck{
				querycheck.ExpectLength("hetzner_image.all", 5),
				querycheck.ExpectResourceKnownValues("hetzner_image.all", byIdentity(imgs.labelled), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("id"), KnownValue: knownvalue.StringExact(strconv.FormatInt(imgs.labelled.ID, 10))},
					{Path: tfjsonpath.New("server_id"), KnownValue: knownvalue.Int64Exact(emulator.SeedServerNoBackups)},
					{Path: tfjsonpath.New("type"), KnownValue: knownvalue.StringExact("snapshot")},
					{Path: tfjsonpath.New("description"), KnownValue: knownvalue.StringExact("web before the upgrade")},
					{Path: tfjsonpath.New("labels"), KnownValue: knownvalue.MapExact(map[string]knownvalue.Check{
						"env": knownvalue.StringExact("prod"), "role": knownvalue.StringExact("web"),
					})},
					{Path: tfjsonpath.New("delete_protection"), KnownValue: knownvalue.Bool(false)},
					// The settings only this provider reads are left to their defaults.
					{Path: tfjsonpath.New("shutdown_before_create"), KnownValue: knownvalue.Null()},
				}),
				querycheck.ExpectResourceKnownValues("hetzner_image.all", byIdentity(imgs.protected), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("delete_protection"), KnownValue: knownvalue.Bool(true)},
					{Path: tfjsonpath.New("labels"), KnownValue: knownvalue.MapExact(map[string]knownvalue.Check{})},
				}),
				querycheck.ExpectResourceKnownValues("hetzner_image.all", byIdentity(imgs.backup), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("type"), KnownValue: knownvalue.StringExact("backup")},
					{Path: tfjsonpath.New("server_id"), KnownValue: knownvalue.Int64Exact(emulator.SeedServerBackups)},
					{Path: tfjsonpath.New("bound_to"), KnownValue: knownvalue.Int64Exact(emulator.SeedServerBackups)},
				}),
				querycheck.ExpectResourceKnownValues("hetzner_image.all", byIdentity(imgs.orphan), []querycheck.KnownValueCheck{
					{Path: tfjsonpath.New("server_id"), KnownValue: knownvalue.Int64Exact(4242)},
				}),
			},
		}},
	})
}

// A limit costs the pages it needs: ten of 120 images is one request.
func TestAccImageListResource_limitReadsOnlyThePagesItNeeds(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	for i := range 120 {
		env.Emulator.AddImage(emulator.Image{Description: fmt.Sprintf("bulk %d", i), DiskSize: 20,
			CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}})
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{
			{
				Query:             true,
				Config:            env.ProviderConfig() + listBlock("ten", "limit = 10", ""),
				QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hetzner_image.ten", 10), listRequests(env, 1)},
			},
			{
				Query:             true,
				Config:            env.ProviderConfig() + listBlock("none", "limit = 0", ""),
				QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hetzner_image.none", 0), listRequests(env, 0)},
			},
			{
				Query:             true,
				Config:            env.ProviderConfig() + listBlock("all", "limit = 1000", ""),
				QueryResultChecks: []querycheck.QueryResultCheck{querycheck.ExpectLength("hetzner_image.all", 120), listRequests(env, 3)},
			},
		},
	})
}

func TestAccImageListResource_badInputIsRefusedBeforeAnyRequest(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	cases := []struct {
		outside, config string
		want            *regexp.Regexp
	}{
		{"", `label_selector = "env in (prod"`, regexp.MustCompile(`Invalid Label Selector.*label selector "env in \(prod", at character 13`)},
		{"", `type = ["system"]`, regexp.MustCompile(`Attribute type\[0\] value must be one of: \["snapshot" "backup"\], got: "system"`)},
		{"", `status = ["gone"]`, regexp.MustCompile(`Attribute status\[0\] value must be one of: \["available" "creating" "unavailable"\], got: "gone"`)},
		// Terraform's own check; limit = 0 lists nothing without asking (see the limit test).
		{"limit = -1", ``, regexp.MustCompile(`Invalid limit argument.*must be greater than or equal to zero`)},
		{"", `most_recent = true
    sort = ["id"]`, regexp.MustCompile(`Conflicting Image Order Detail:most_recent = true sorts newest first \(created:desc, id:desc\), and sort asks for another order`)},
	}
	var steps []resource.TestStep
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Query:       true,
			Config:      env.ProviderConfig() + listBlock("bad", c.outside, c.config),
			ExpectError: c.want,
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps:                    steps,
	})
	// Checked here: a test of query steps only has no destroy, so CheckDestroy never runs.
	if n := env.Emulator.TotalRequests(); n != 0 {
		t.Errorf("bad input sent %d requests to the API, want none: %v", n, env.Emulator.Requests())
	}
}

// listRequests checks that the query step sent exactly want requests, all of them pages of
// GET /images, and starts the count anew for the next step.
func listRequests(env *acctest.Env, want int) querycheck.QueryResultCheck {
	return queryCheckFunc(func() error {
		defer env.Emulator.ResetRequests()
		got, pages := env.Emulator.TotalRequests(), env.Emulator.RequestCount("GET", "/v1/images")
		if got != want || pages != want {
			return fmt.Errorf("the query sent %d requests (%d pages of GET /v1/images), want %d pages and nothing else: %v",
				got, pages, want, env.Emulator.Requests())
		}
		return nil
	})
}

type queryCheckFunc func() error

func (f queryCheckFunc) CheckQuery(_ context.Context, _ querycheck.CheckQueryRequest, resp *querycheck.CheckQueryResponse) {
	resp.Error = f()
}
