package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// examplesDir is the repository's examples/, seen from this package.
const examplesDir = "../../examples"

type exampleRun struct {
	dir  string   // under examples/
	vars []string // -var arguments of every command
}

// exampleRuns are the examples that pair data sources of the official hcloud provider with
// hetzner_image: each is applied as it is written, planned (the plan must be empty) and
// destroyed on the emulator, with the variables given.
var exampleRuns = []exampleRun{
	// The demo's web snapshot is protected by default; the run lifts it to destroy.
	{dir: "demo", vars: []string{"-var", "protect_web=false"}},
	{dir: "guides/snapshot-rotation", vars: []string{"-var", "server_name=db-1", "-var", "rotation=20000", "-var", "keep=2"}},
}

func TestAccExamples_pairedWithHcloudApplyPlanEmptyAndDestroy(t *testing.T) {
	for _, ex := range exampleRuns {
		t.Run(ex.dir, func(t *testing.T) {
			t.Parallel()
			emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 200 * time.Millisecond})
			w := newWorkspace(t, endpoint, emulatortest.Token, withPeer())
			for name, content := range exampleFiles(t, ex.dir) {
				w.writeFile(name, content)
			}
			run := func(args ...string) {
				t.Helper()
				if out, err := w.run(append(args, ex.vars...)...); err != nil {
					t.Fatalf("%v: %v\n%s", args, err, out)
				}
			}
			run("apply", "-auto-approve")
			run("plan", "-detailed-exitcode")
			images := w.managedImages()
			if len(images) == 0 {
				t.Fatal("the example manages no hetzner_image")
			}
			for addr, img := range images {
				id, _ := strconv.ParseInt(img.ID, 10, 64)
				got, ok := emu.Image(id)
				if !ok || got.Status != emulator.ImageStatusAvailable {
					t.Errorf("%s: image %s is not an available image of the emulator (%+v)", addr, img.ID, got)
				}
			}
			if got := len(emu.ImagesOfType("snapshot", "backup")); got != len(images) {
				t.Errorf("the emulator holds %d snapshots and backups, the state %d images", got, len(images))
			}
			run("destroy", "-auto-approve")
			if left := emu.ImagesOfType("snapshot", "backup"); len(left) != 0 {
				t.Errorf("destroy left %d images in the emulator", len(left))
			}
		})
	}
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

// hcloudDataSource finds a data source of the official provider outside comments.
var hcloudDataSource = regexp.MustCompile(`(?m)^[^#\n]*data\s+"hcloud_`)

// TestExamples_everyPairingWithHcloudDataSourcesIsRun keeps exampleRuns complete: an example
// that uses a data source of the official provider is run for real, not only validated.
func TestExamples_everyPairingWithHcloudDataSourcesIsRun(t *testing.T) {
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
		if hcloudDataSource.Match(raw) && !slices.Contains(found, dir) {
			found = append(found, dir)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Fatal("no example uses a data source of the hcloud provider; the demo should")
	}
	for _, dir := range found {
		if !slices.ContainsFunc(exampleRuns, func(r exampleRun) bool { return r.dir == dir }) {
			t.Errorf("examples/%s uses an hcloud data source: add it to exampleRuns", dir)
		}
	}
}
