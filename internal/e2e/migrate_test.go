package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The guide "Migrating from hcloud_snapshot" runs here as written: its example configurations
// are applied one after the other, first with the official provider, then with this one.

const migrateExamples = "guides/migrate-from-hcloud-snapshot"

// The addresses the guide's examples manage, before and after.
var (
	snapshotAddresses = []string{`hcloud_snapshot.db`, `hcloud_snapshot.release["v1"]`, `hcloud_snapshot.release["v2"]`}
	imageAddresses    = []string{`hetzner_image.db`, `hetzner_image.release["v1"]`, `hetzner_image.release["v2"]`}
)

// useExample replaces the workspace's configuration with one of the guide's examples.
func (w *workspace) useExample(name string) {
	w.t.Helper()
	for file, content := range exampleFiles(w.t, migrateExamples+"/"+name) {
		w.writeFile(file, content)
	}
}

// mustRun runs a CLI command that must succeed.
func (w *workspace) mustRun(args ...string) string {
	w.t.Helper()
	out, err := w.run(args...)
	if err != nil {
		w.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// resourceIDs returns address → id of every managed resource in the state.
func (w *workspace) resourceIDs() map[string]string {
	w.t.Helper()
	out := map[string]string{}
	st := w.state()
	if st.Values == nil || st.Values.RootModule == nil {
		return out
	}
	for _, r := range st.Values.RootModule.Resources {
		if r.Mode == tfjson.ManagedResourceMode {
			id, _ := r.AttributeValues["id"].(string)
			out[r.Address] = id
		}
	}
	return out
}

// savedPlan runs plan -out and returns the plan as JSON.
func (w *workspace) savedPlan(args ...string) *tfjson.Plan {
	w.t.Helper()
	w.mustRun(append([]string{"plan", "-out=tfplan"}, args...)...)
	cmd := exec.CommandContext(context.Background(), w.cli, "show", "-json", "tfplan")
	cmd.Dir, cmd.Env = w.dir, w.env
	raw, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("show -json tfplan: %v", err)
	}
	var p tfjson.Plan
	if err := json.Unmarshal(raw, &p); err != nil {
		w.t.Fatalf("decoding the plan: %v", err)
	}
	return &p
}

// planned is one resource change of a plan in short: where the object was, what is done to it.
type planned struct {
	from    string
	actions string
	imports bool
}

func plannedChanges(p *tfjson.Plan) map[string]planned {
	out := map[string]planned{}
	for _, rc := range p.ResourceChanges {
		var actions []string
		for _, a := range rc.Change.Actions {
			actions = append(actions, string(a))
		}
		out[rc.Address] = planned{from: rc.PreviousAddress, actions: strings.Join(actions, ","), imports: rc.Change.Importing != nil}
	}
	return out
}

// writes returns the requests that change something (anything but GET).
func writes(emu *emulator.Emulator) map[string]int {
	out := map[string]int{}
	for route, n := range emu.Requests() {
		if !strings.HasPrefix(route, "GET ") {
			out[route] = n
		}
	}
	return out
}

// createSnapshotsWithTheOfficialProvider applies the guide's first example and returns the
// snapshots' ids by address.
func createSnapshotsWithTheOfficialProvider(t *testing.T, w *workspace, emu *emulator.Emulator) map[string]string {
	t.Helper()
	w.useExample("1-before")
	w.mustRun("apply", "-auto-approve", serverVar)
	before := w.resourceIDs()
	if got := slices.Sorted(maps.Keys(before)); !slices.Equal(got, snapshotAddresses) {
		t.Fatalf("the official provider's apply left %v in the state, want %v", got, snapshotAddresses)
	}
	if n := len(emu.ImagesOfType("snapshot")); n != 3 {
		t.Fatalf("the emulator holds %d snapshots after the official provider's apply, want 3", n)
	}
	return before
}

var serverVar = fmt.Sprintf("-var=server_id=%d", emulator.SeedServerBackups)

// checkTakenOver checks that the images are the snapshots they were, and that the next plan is empty.
func checkTakenOver(t *testing.T, w *workspace, emu *emulator.Emulator, before map[string]string) {
	t.Helper()
	after := w.resourceIDs()
	if got := slices.Sorted(maps.Keys(after)); !slices.Equal(got, imageAddresses) {
		t.Fatalf("the state holds %v after the migration, want %v", got, imageAddresses)
	}
	for i, addr := range imageAddresses {
		if after[addr] != before[snapshotAddresses[i]] {
			t.Errorf("%s has id %s, want %s (the id of %s)", addr, after[addr], before[snapshotAddresses[i]], snapshotAddresses[i])
		}
	}
	if n := len(emu.ImagesOfType("snapshot")); n != 3 {
		t.Errorf("the emulator holds %d snapshots after the migration, want the same 3", n)
	}
	for _, img := range emu.ImagesOfType("snapshot") {
		if img.Description == "db before the upgrade" && img.Labels["keep"] != "forever" {
			t.Errorf("image %d has labels %v, want the label keep=forever added", img.ID, img.Labels)
		}
	}
	emu.ResetRequests()
	if out, err := w.run("plan", "-detailed-exitcode", serverVar); err != nil {
		t.Errorf("the plan after the migration is not empty: %v\n%s", err, out)
	}
	if got := writes(emu); len(got) != 0 {
		t.Errorf("the plan after the migration sent %v", got)
	}
}

// migration is one way of switching the guide's snapshots to hetzner_image.
type migration struct {
	example string             // the configuration after the switch, under the guide's examples
	plan    map[string]planned // every resource change of its plan
	updated []string           // the attributes of hetzner_image.db that the plan changes
	// planRequests are all the requests its plan may send: reads only.
	planRequests map[string]int
	// planRequestsNewest, when set, replaces planRequests on Terraform 1.16 and newer.
	planRequestsNewest map[string]int
	// planArgs are added to the plan's arguments.
	planArgs []string
	// checkLog checks the provider's log of the plan.
	checkLog func(t *testing.T, w *workspace, log string)
}

// movedBlocks is the guide's way: moved blocks, planned as usual or one object at a time (on
// OpenTofu 1.12.6 that makes the wrong source provider address certain, see checkSourceAddresses).
func movedBlocks(oneAtATime bool) migration {
	m := migration{
		example: "2-moved",
		plan: map[string]planned{
			`hetzner_image.db`:            {from: `hcloud_snapshot.db`, actions: "update"},
			`hetzner_image.release["v1"]`: {from: `hcloud_snapshot.release["v1"]`, actions: "no-op"},
			`hetzner_image.release["v2"]`: {from: `hcloud_snapshot.release["v2"]`, actions: "no-op"},
		},
		// The create timeout moves along with the state; only the added label is a change.
		updated: []string{"labels"},
		// The moves themselves send nothing; each image is read once, as in every plan.
		planRequests: map[string]int{"GET /v1/images/{id}": 3},
		checkLog:     checkSourceAddresses(oneAtATime),
	}
	if oneAtATime {
		m.planArgs = []string{"-parallelism=1"}
	}
	return m
}

var migrations = map[string]migration{
	"moved blocks":                       movedBlocks(false),
	"moved blocks, one object at a time": movedBlocks(true),
	"removed and import blocks": {
		example: "2-removed-import",
		plan: map[string]planned{
			`hcloud_snapshot.db`:            {actions: "forget"},
			`hcloud_snapshot.release["v1"]`: {actions: "forget"},
			`hcloud_snapshot.release["v2"]`: {actions: "forget"},
			`hetzner_image.db`:              {actions: "update", imports: true},
			`hetzner_image.release["v1"]`:   {actions: "no-op", imports: true},
			`hetzner_image.release["v2"]`:   {actions: "no-op", imports: true},
		},
		// An import knows no timeouts: the timeouts block is a change too (one that sends nothing).
		updated: []string{"labels", "timeouts"},
		// The official provider reads each snapshot once before forgetting it; each import
		// lists by its selector and reads the image it found, which the Read then reuses.
		planRequests: map[string]int{"GET /v1/images": 3, "GET /v1/images/{id}": 6},
		// Terraform 1.16 no longer refreshes what a removed block forgets: only our imports ask.
		planRequestsNewest: map[string]int{"GET /v1/images": 3, "GET /v1/images/{id}": 3},
	},
}

func TestAccMigrateFromHcloudSnapshot(t *testing.T) {
	for name, m := range migrations {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 1})
			w := newWorkspace(t, endpoint, emulatortest.Token, withPeer())
			before := createSnapshotsWithTheOfficialProvider(t, w, emu)

			w.useExample(m.example)
			emu.ResetRequests()
			log := filepath.Join(w.dir, "provider.log")
			w.env = append(w.env, "TF_LOG_PROVIDER=INFO", "TF_LOG_PATH="+log)
			p := w.savedPlan(append([]string{serverVar}, m.planArgs...)...)
			w.env = w.env[:len(w.env)-2]
			if got := plannedChanges(p); !maps.Equal(got, m.plan) {
				t.Fatalf("the plan is %+v, want %+v", got, m.plan)
			}
			checkUpdated(t, p, `hetzner_image.db`, m.updated...)
			want := m.planRequests
			if m.planRequestsNewest != nil && terraformAtLeast(t, w, "1.16.0") {
				want = m.planRequestsNewest
			}
			if got := emu.Requests(); !maps.Equal(got, want) {
				t.Errorf("the plan sent %v, want %v", got, want)
			}
			if m.checkLog != nil {
				m.checkLog(t, w, log)
			}

			emu.ResetRequests()
			w.mustRun("apply", "tfplan")
			// Taking the images over writes nothing; the label added in the same change is one PUT.
			if got := emu.Requests(); len(got) != 1 || got["PUT /v1/images/{id}"] != 1 {
				t.Errorf("the apply sent %v, want only the one PUT of hetzner_image.db's labels", got)
			}
			checkTakenOver(t, w, emu, before)
		})
	}
}

// checkUpdated checks which attributes the update of an image changes.
func checkUpdated(t *testing.T, p *tfjson.Plan, address string, want ...string) {
	t.Helper()
	for _, rc := range p.ResourceChanges {
		if rc.Address != address {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		var changed []string
		for k, v := range after {
			if fmt.Sprint(v) != fmt.Sprint(before[k]) {
				changed = append(changed, k)
			}
		}
		if unknown, _ := rc.Change.AfterUnknown.(map[string]any); len(unknown) > 0 {
			for k, v := range unknown {
				if v == true {
					changed = append(changed, k+" (unknown)")
				}
			}
		}
		if slices.Sort(changed); !slices.Equal(changed, want) {
			t.Errorf("the update of %s changes %v, want %v", address, changed, want)
		}
	}
}

// checkSourceAddresses reads the provider's log of the plan: the three moves happened, and the
// CLI named the source provider as it is known to. Terraform names the official provider every
// time. OpenTofu 1.12.6 names it for the first instance of a resource it moves, and may name
// this provider (the target's) for the later ones: it looks the source provider up in the prior
// state under the new address, where the first instance has already put this provider. It
// always does when it plans one object at a time; otherwise it depends on the order. The move
// must succeed either way.
func checkSourceAddresses(oneAtATime bool) func(t *testing.T, w *workspace, logPath string) {
	return func(t *testing.T, w *workspace, logPath string) {
		t.Helper()
		seen := movesLogged(t, logPath)
		t.Logf("%s sent the source provider address as %q", filepath.Base(w.cli), seen)
		if len(seen) != 3 {
			t.Fatalf("the provider moved %d states, want 3 (%v)", len(seen), seen)
		}
		counts := map[string]int{}
		for _, addr := range seen {
			counts[addr]++
		}
		official := "registry.terraform.io/hetznercloud/hcloud"
		if strings.Contains(filepath.Base(w.cli), "tofu") {
			official, target := "registry.opentofu.org/hetznercloud/hcloud", "registry.opentofu.org/tf-hetzner/hetzner"
			if oneAtATime {
				if want := map[string]int{official: 2, target: 1}; !maps.Equal(counts, want) {
					t.Errorf("the source provider addresses were %v, want %v", counts, want)
				}
				return
			}
			// hetzner_image.db and the first instance of hetzner_image.release are named right.
			if counts[official] < 2 || counts[official]+counts[target] != 3 {
				t.Errorf("the source provider addresses were %v, want %s at least twice and otherwise %s", counts, official, target)
			}
			return
		}
		if counts[official] != 3 {
			t.Errorf("the source provider addresses were %v, want %s three times", counts, official)
		}
	}
}

// movesLogged returns the source provider address of every move in the provider's log.
func movesLogged(t *testing.T, logPath string) []string {
	t.Helper()
	f, err := os.Open(logPath)
	if err != nil {
		t.Fatalf("the plan wrote no log: %v", err)
	}
	defer func() { _ = f.Close() }()
	var seen []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if !strings.Contains(line, "moving resource state to hetzner_image") {
			continue
		}
		_, rest, _ := strings.Cut(line, `source_provider_address=`)
		addr, _, _ := strings.Cut(rest, " ")
		seen = append(seen, strings.Trim(addr, `"`))
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("reading the plan's log: %v", err)
	}
	return seen
}

// A move from anything but an hcloud_snapshot is refused at plan time with what is supported;
// nothing reaches the API. terraform_data, built into both CLIs, stands for any other resource.
func TestAccMigrate_otherSourcesAreRefusedWithWhatIsSupported(t *testing.T) {
	t.Parallel()
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 1})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(`resource "terraform_data" "x" { input = "a snapshot elsewhere" }`)
	w.mustRun("apply", "-auto-approve")
	w.write(fmt.Sprintf(`
moved {
  from = terraform_data.x
  to   = hetzner_image.x
}

resource "hetzner_image" "x" { server_id = %d }
`, emulator.SeedServerNoBackups))
	emu.ResetRequests()
	out, err := w.run("plan")
	if err == nil {
		t.Fatalf("the plan accepted the move from terraform_data:\n%s", out)
	}
	flat := oneLine(out)
	for _, want := range []string{
		"Error: Unsupported Move Source",
		`The moved block's source is a terraform_data of provider "terraform.io/builtin/terraform" (schema version 0).`,
		"hetzner_image takes over the state of hcloud_snapshot resources (schema version 0) of the official provider " +
			"hetznercloud/hcloud (registry.terraform.io/hetznercloud/hcloud or registry.opentofu.org/hetznercloud/hcloud).",
		`remove the moved block and import the image by its ID: an import block with to = hetzner_image.NAME and id = "IMAGE_ID", or terraform import.`,
	} {
		if !strings.Contains(flat, want) {
			t.Errorf("the plan's error does not say %q:\n%s", want, out)
		}
	}
	if got := emu.TotalRequests(); got != 0 {
		t.Errorf("the refused plan sent %v", emu.Requests())
	}
}
