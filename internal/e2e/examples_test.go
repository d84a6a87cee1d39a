package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// examplesDir is the repository's examples/, seen from this package.
const examplesDir = "../../examples"

type exampleRun struct {
	dir  string   // under examples/
	vars []string // -var arguments of every command
	// setup prepares the emulator's project for the example (nil: the seeded project).
	setup func(t *testing.T, emu *emulator.Emulator)
	// unprotect: before destroy, the run sets every delete_protection = true to false and
	// applies, as the error about a protected image tells users to.
	unprotect bool
	// keepsImages: the example's images have skip_destroy, so destroy leaves them.
	keepsImages bool
	// then does what the guide goes on to do after the first apply, with its checks; it
	// returns the images it leaves in the project besides those in the state.
	then func(t *testing.T, g guideRun) []int64
}

// exampleRuns are the examples that pair the official hcloud provider with this one: each is
// applied as it is written, planned (the plan must be empty) and destroyed on the emulator,
// with the variables given.
var exampleRuns = []exampleRun{
	// The demo's web snapshot is protected by default; the run lifts it to destroy.
	{dir: "demo", vars: []string{"-var", "protect_web=false"}},
	{dir: "guides/snapshot-rotation", vars: []string{"-var", "server_name=db-1", "-var", "rotation=20000", "-var", "keep=2"}},
	// These create a server named web-1: the project starts without the seeded one.
	{dir: "provider/with-hcloud", setup: withoutSeededWeb, unprotect: true},
	{dir: "guides/snapshot-before-upgrade", vars: adminKey, setup: withoutSeededWeb, keepsImages: true, then: upgradeKeepsTheSnapshot},
	{dir: "guides/restore-from-snapshot", vars: adminKey, setup: func(t *testing.T, emu *emulator.Emulator) {
		withoutSeededWeb(t, emu)
		// The snapshot to restore: what hetzner_image.web_baseline of with-hcloud leaves.
		webSnapshot(emu, "web-1 baseline", 0, emulator.ImageStatusAvailable)
	}, then: restoreFromTheNewestSnapshot},
}

// adminKey points the guides' ssh_public_key_file at a public key of testdata.
var adminKey = []string{"-var", "ssh_public_key_file=" + must(filepath.Abs(filepath.Join("testdata", "admin_ed25519.pub")))}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func withoutSeededWeb(t *testing.T, emu *emulator.Emulator) {
	if !emu.RemoveServer(emulator.SeedServerNoBackups) {
		t.Fatal("the seeded web-1 is missing")
	}
}

// TestAccExamples_pairedWithHcloudApplyPlanEmptyAndDestroy runs every example of exampleRuns:
// what it manages exists in the emulator after apply (available images, running servers), the
// plan after apply is empty, and destroy leaves the project's images and servers as they were
// (but for images with skip_destroy).
func TestAccExamples_pairedWithHcloudApplyPlanEmptyAndDestroy(t *testing.T) {
	for _, ex := range exampleRuns {
		t.Run(ex.dir, func(t *testing.T) {
			t.Parallel()
			emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 200 * time.Millisecond})
			if ex.setup != nil {
				ex.setup(t, emu)
			}
			w := newWorkspace(t, endpoint, emulatortest.Token, withPeer())
			for name, content := range exampleFiles(t, ex.dir) {
				w.writeFile(name, content)
			}
			run := func(args ...string) string {
				t.Helper()
				out, err := w.run(append(args, ex.vars...)...)
				if err != nil {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
				return out
			}
			imagesBefore, serversBefore := imageIDs(emu.ImagesOfType("snapshot", "backup")), serverIDs(emu.Servers())
			run("apply", "-auto-approve")
			run("plan", "-detailed-exitcode")
			images := w.managedImages()
			servers := w.resources(tfjson.ManagedResourceMode, "hcloud_server")
			if len(images)+len(servers) == 0 {
				t.Fatal("the example manages neither a hetzner_image nor an hcloud_server")
			}
			for addr, img := range images {
				id, _ := strconv.ParseInt(img.ID, 10, 64)
				got, ok := emu.Image(id)
				if !ok || got.Status != emulator.ImageStatusAvailable {
					t.Errorf("%s: image %s is not an available image of the emulator (%+v)", addr, img.ID, got)
				}
			}
			for addr, r := range servers {
				id, _ := r.AttributeValues["id"].(string)
				i := slices.IndexFunc(emu.Servers(), func(s emulator.Server) bool { return strconv.FormatInt(s.ID, 10) == id })
				if i < 0 || emu.Servers()[i].Status != emulator.ServerStatusRunning {
					t.Errorf("%s: server %q is not a running server of the emulator", addr, id)
				}
			}
			if got := len(imageIDs(emu.ImagesOfType("snapshot", "backup"))) - len(imagesBefore); got != len(images) {
				t.Errorf("the emulator holds %d new snapshots and backups, the state %d images", got, len(images))
			}
			if got := len(emu.Servers()) - len(serversBefore); got != len(servers) {
				t.Errorf("the emulator holds %d new servers, the state %d", got, len(servers))
			}
			var leftImages []int64
			if ex.then != nil {
				leftImages = ex.then(t, guideRun{w: w, emu: emu, run: run})
			}
			if ex.unprotect {
				for name, content := range exampleFiles(t, ex.dir) {
					w.writeFile(name, strings.ReplaceAll(content, "delete_protection = true", "delete_protection = false"))
				}
				run("apply", "-auto-approve")
			}
			wantImages := append(slices.Clone(imagesBefore), leftImages...)
			if ex.keepsImages {
				for _, img := range w.managedImages() {
					id, _ := strconv.ParseInt(img.ID, 10, 64)
					wantImages = append(wantImages, id)
				}
			}
			slices.Sort(wantImages)
			run("destroy", "-auto-approve")
			if left := imageIDs(emu.ImagesOfType("snapshot", "backup")); !slices.Equal(left, wantImages) {
				t.Errorf("after destroy the emulator holds the images %v, want %v", left, wantImages)
			}
			if left := serverIDs(emu.Servers()); !slices.Equal(left, serversBefore) {
				t.Errorf("after destroy the emulator holds the servers %v, before apply %v", left, serversBefore)
			}
		})
	}
}

func imageIDs(images []emulator.Image) []int64 {
	ids := []int64{}
	for _, img := range images {
		ids = append(ids, img.ID)
	}
	return ids
}

func serverIDs(servers []emulator.Server) []int64 {
	ids := []int64{}
	for _, s := range servers {
		ids = append(ids, s.ID)
	}
	return ids
}

// exampleFiles reads the .tf files of one example directory.
func exampleFiles(t testing.TB, dir string) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(examplesDir, dir, "*.tf"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no .tf files in examples/%s (%v)", dir, err)
	}
	files := map[string]string{}
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = string(raw)
	}
	return files
}

// hcloudBlock finds a data source or resource of the official provider outside comments.
var hcloudBlock = regexp.MustCompile(`(?m)^[^#\n]*(data|resource)\s+"hcloud_`)

// TestExamples_everyPairingWithHcloudIsRun keeps exampleRuns complete: an example that uses a
// data source or resource of the official provider is run for real, not only validated.
func TestExamples_everyPairingWithHcloudIsRun(t *testing.T) {
	var found []string
	err := filepath.WalkDir(examplesDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".tf" {
			return err
		}
		raw, err := os.ReadFile(path) //nolint:gosec // G304: the repository's own examples
		if err != nil {
			return err
		}
		dir, _ := filepath.Rel(examplesDir, filepath.Dir(path))
		if hcloudBlock.Match(raw) && !slices.Contains(found, dir) {
			found = append(found, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("no example uses the hcloud provider; the demo should")
	}
	for _, dir := range found {
		// The migration guide's configurations are applied one after the other, by
		// TestAccMigrateFromHcloudSnapshot.
		if strings.HasPrefix(dir, migrateExamples+"/") {
			continue
		}
		// Examples with actions run only on Terraform 1.14 and newer, by tests of their own.
		if slices.Contains(actionExamples, dir) {
			continue
		}
		if !slices.ContainsFunc(exampleRuns, func(r exampleRun) bool { return r.dir == dir }) {
			t.Errorf("examples/%s uses the hcloud provider: add it to exampleRuns", dir)
		}
	}
}
