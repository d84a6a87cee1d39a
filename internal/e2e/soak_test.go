package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// soakFigures is what a run of the fault soak counts.
type soakFigures struct {
	cycles, commands    int
	failedThenFixed     int // commands that failed and succeeded when simply run again
	failedForGood       int // commands that still failed after every retry
	driftPlans          int // plans right after a successful apply that wanted changes
	orphans, duplicates int
	losses              int
	adopted             int // state entries that point at an image none of ours (an automatic backup)
	removedByAPI        int // our backups the API removed on its own (rotated out of their slots)
	replanned           int // plans that created such a backup again, as they should
	// byKind attributes every finding to the kinds of fault injected during the command after
	// which it was found.
	byKind map[emulator.FaultKind]*kindFigures
	// seen are the fault counts when the last command started.
	seen    map[emulator.FaultKind]int
	removed map[int64]bool
}

type kindFigures struct{ orphans, duplicates, losses, adopted int }

// during returns the kinds of fault injected since the last command started.
func (fig *soakFigures) during(emu *emulator.Emulator) []emulator.FaultKind {
	var kinds []emulator.FaultKind
	for k, n := range emu.ChaosCounts() {
		if n > fig.seen[k] {
			kinds = append(kinds, k)
		}
	}
	return kinds
}

func (fig *soakFigures) attribute(kinds []emulator.FaultKind, orphans, duplicates, losses, adopted int) {
	for _, k := range kinds {
		kf := fig.byKind[k]
		if kf == nil {
			kf = &kindFigures{}
			fig.byKind[k] = kf
		}
		kf.orphans += orphans
		kf.duplicates += duplicates
		kf.losses += losses
		kf.adopted += adopted
	}
}

const soakRetries = 5

// TestSoak runs apply, plan, update and destroy cycles of several images while the emulator
// injects faults into a share of the requests, until SOAK_FAULTS faults were injected. After
// every successful command it compares the emulator's images with Terraform's state. Any
// orphaned image, duplicate or lost state entry fails the test. make soak runs it.
func TestSoak(t *testing.T) {
	target := envInt(t, "SOAK_FAULTS", 0)
	if target == 0 {
		t.Skip("set SOAK_FAULTS to the number of faults to inject (make soak FAULTS=200)")
	}
	seed := uint64(envInt(t, "SOAK_SEED", 1)) //nolint:gosec // G115: envInt refuses negative numbers
	rate := 0.2
	if s := os.Getenv("SOAK_RATE"); s != "" {
		var err error
		if rate, err = strconv.ParseFloat(s, 64); err != nil {
			t.Fatalf("SOAK_RATE: %v", err)
		}
	}

	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 200 * time.Millisecond})
	// Writes meet faults twice as often as reads: they are where a fault can cost an image,
	// above all one that strikes after the API did the work, so half of them are of that kind.
	// A busy server is held for several poll intervals by its daily backup or a rebuild.
	emu.SetChaos(emulator.Chaos{Rate: rate, WriteRate: min(1, 2*rate), AfterShare: 0.5, Seed: seed, Kinds: soakKinds(),
		LockFor: 3 * time.Second, HangFor: time.Second})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	fig := soakFigures{byKind: map[emulator.FaultKind]*kindFigures{}}
	started := time.Now()

	for injected(emu) < target {
		fig.cycles++
		c := fig.cycles
		w.write(soakConfig(c, false))
		soakCommand(t, w, emu, &fig, "apply", "-auto-approve")
		soakPlanIsEmpty(t, w, emu, &fig)
		w.write(soakConfig(c, true))
		soakCommand(t, w, emu, &fig, "apply", "-auto-approve")
		soakCommand(t, w, emu, &fig, "destroy", "-auto-approve")
		if left := userImages(emu); len(left) > 0 {
			fig.orphans += len(left)
			fig.attribute(fig.during(emu), len(left), 0, 0, 0)
			t.Errorf("cycle %d: %d images left after destroy", c, len(left))
			for id := range left {
				emu.RemoveImage(id) // so that the next cycle does not count them again
			}
		}
	}

	fmt.Print(soakReport(&fig, emu, seed, rate, time.Since(started), cliVersion(w)))
	if fig.orphans+fig.duplicates+fig.losses+fig.adopted+fig.failedForGood > 0 {
		t.Errorf("the soak lost something: %d orphans, %d duplicates, %d losses, %d adopted, %d commands failed for good",
			fig.orphans, fig.duplicates, fig.losses, fig.adopted, fig.failedForGood)
	}
	if share := processedShare(emu); share < 0.2 {
		t.Errorf("processed-then-failed faults were %.0f%% of all faults, want at least 20%%", 100*share)
	}
}

// soakKinds are the kinds the soak draws from: every kind, unless SOAK_KINDS names some
// (comma-separated, as AllFaultKinds spells them).
func soakKinds() []emulator.FaultKind {
	v := os.Getenv("SOAK_KINDS")
	if v == "" {
		return emulator.AllFaultKinds
	}
	var kinds []emulator.FaultKind
	for _, k := range strings.Split(v, ",") {
		kinds = append(kinds, emulator.FaultKind(strings.TrimSpace(k)))
	}
	return kinds
}

// processedShare is the share of the injected faults whose request took effect first.
func processedShare(emu *emulator.Emulator) float64 {
	var processed, all int
	for k, n := range emu.ChaosCounts() {
		all += n
		if k.ProcessedThenFailed() {
			processed += n
		}
	}
	if all == 0 {
		return 0
	}
	return float64(processed) / float64(all)
}

// soakReport is the table make soak prints: every kind of fault with what was found after
// the commands it hit, then the totals.
func soakReport(fig *soakFigures, emu *emulator.Emulator, seed uint64, rate float64, took time.Duration, cli string) string {
	counts := emu.ChaosCounts()
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "\nfault soak: seed %d, rate %.2f (writes %.2f), %s, %s\n", seed, rate, min(1, 2*rate), took.Round(time.Second), cli)
	fmt.Fprintf(&b, "%-34s %9s %7s %7s %10s %6s %7s\n", "fault injected", "processed", "count", "orphans", "duplicates", "losses", "adopted")
	for _, k := range kinds {
		kind := emulator.FaultKind(k)
		kf := fig.byKind[kind]
		if kf == nil {
			kf = &kindFigures{}
		}
		processed := "-"
		if kind.ProcessedThenFailed() {
			processed = "yes"
		}
		fmt.Fprintf(&b, "%-34s %9s %7d %7d %10d %6d %7d\n", k, processed, counts[kind], kf.orphans, kf.duplicates, kf.losses, kf.adopted)
	}
	total := injected(emu)
	fmt.Fprintf(&b, "%-34s %9s %7d\n", "total", "", total)
	fmt.Fprintf(&b, "%-34s %6.0f%%\n", "processed, then failed", 100*processedShare(emu))
	fmt.Fprintf(&b, "%-34s %7d\n", "API requests", emu.TotalRequests())
	fmt.Fprintf(&b, "%-34s %7d\n", "cycles", fig.cycles)
	fmt.Fprintf(&b, "%-34s %7d\n", "CLI commands", fig.commands)
	fmt.Fprintf(&b, "%-34s %7d\n", "failed, fixed by a rerun", fig.failedThenFixed)
	fmt.Fprintf(&b, "%-34s %7d\n", "failed for good", fig.failedForGood)
	fmt.Fprintf(&b, "%-34s %7d\n", "plans with drift", fig.driftPlans)
	fmt.Fprintf(&b, "%-34s %7d\n", "automatic backups kept at the end", automaticBackups(emu))
	fmt.Fprintf(&b, "%-34s %7d\n", "our backups removed by the API", fig.removedByAPI)
	fmt.Fprintf(&b, "%-34s %7d\n", "  and planned again", fig.replanned)
	fmt.Fprintf(&b, "%-34s %7d\n", "orphaned images", fig.orphans)
	fmt.Fprintf(&b, "%-34s %7d\n", "duplicate images", fig.duplicates)
	fmt.Fprintf(&b, "%-34s %7d\n", "lost state entries", fig.losses)
	fmt.Fprintf(&b, "%-34s %7d\n", "images adopted that are not ours", fig.adopted)
	return b.String()
}

// soakConfig declares six images across three servers; the second variant changes every
// attribute that can change in place and lifts the protection so that destroy can proceed.
func soakConfig(cycle int, updated bool) string {
	stage, protect, backupType := "a", true, "backup"
	if updated {
		stage, protect, backupType = "b", false, "snapshot"
	}
	return fmt.Sprintf(`
resource "hetzner_image" "web" {
  server_id   = 101
  description = "web %[1]d%[2]s"
  labels      = { decl = "web", stage = "%[2]s" }
}

resource "hetzner_image" "nightly" {
  server_id   = 102
  type        = "%[4]s"
  description = "nightly %[1]d"
  labels      = { decl = "nightly" }
}

resource "hetzner_image" "arm" {
  server_id         = 103
  labels            = { decl = "arm", stage = "%[2]s" }
  delete_protection = %[3]t
}

resource "hetzner_image" "copy" {
  count       = 3
  server_id   = 101
  description = "copy ${count.index} %[2]s"
  labels      = { decl = "copy-${count.index}" }
}
`, cycle, stage, protect, backupType)
}

// soakCommand runs a command, and runs it again while it fails, as a user would; then it
// compares the emulator with the state.
func soakCommand(t *testing.T, w *workspace, emu *emulator.Emulator, fig *soakFigures, args ...string) {
	t.Helper()
	var out string
	var err error
	for attempt := 0; attempt <= soakRetries; attempt++ {
		fig.commands++
		fig.seen = emu.ChaosCounts()
		if out, err = w.run(args...); err == nil {
			if attempt > 0 {
				fig.failedThenFixed++
			}
			compareWithState(t, w, emu, fig, args[0])
			return
		}
	}
	fig.failedForGood++
	t.Errorf("%v failed %d times; last output:\n%s", args, soakRetries+1, out)
}

// soakPlanIsEmpty checks that a plan right after a successful apply is empty, unless the API
// removed one of our backups meanwhile (its daily backup pushed it out of the seven slots):
// then the plan must create it again, and nothing else.
func soakPlanIsEmpty(t *testing.T, w *workspace, emu *emulator.Emulator, fig *soakFigures) {
	t.Helper()
	for attempt := 0; attempt <= soakRetries; attempt++ {
		fig.commands++
		removed := removedFromState(w, emu)
		out, err := w.run("plan", "-detailed-exitcode")
		var exit *exec.ExitError
		switch {
		case err == nil:
			return
		case errors.As(err, &exit) && exit.ExitCode() == 2 && len(removed) > 0:
			fig.replanned++
			if !strings.Contains(out, fmt.Sprintf("%d to add, 0 to change, 0 to destroy", len(removed))) {
				t.Errorf("the API removed %v; the plan should create them again and do nothing else:\n%s", removed, out)
			}
			return
		case errors.As(err, &exit) && exit.ExitCode() == 2:
			fig.driftPlans++
			t.Errorf("the plan after a successful apply wants changes:\n%s", out)
			return
		}
	}
	fig.failedForGood++
}

// removedFromState lists the state's images that the API removed on its own.
func removedFromState(w *workspace, emu *emulator.Emulator) []string {
	byAPI := map[string]bool{}
	for _, id := range emu.ImagesRemovedByAPI() {
		byAPI[strconv.FormatInt(id, 10)] = true
	}
	var out []string
	for addr, img := range w.managedImages() {
		if byAPI[img.ID] {
			out = append(out, addr)
		}
	}
	sort.Strings(out)
	return out
}

// compareWithState counts orphans (in the API, not in the state), duplicates (two images of
// one declaration), losses (in the state, gone from the API although neither we nor the API's
// own backup rotation deleted it) and adoptions (in the state, but not one of ours: an
// automatic backup), and attributes them to the faults of the command.
func compareWithState(t *testing.T, w *workspace, emu *emulator.Emulator, fig *soakFigures, command string) {
	t.Helper()
	inState := map[string]string{}
	for addr, img := range w.managedImages() {
		inState[img.ID] = addr
	}
	images := userImages(emu)
	all := map[int64]bool{}
	for _, img := range emu.ImagesOfType("snapshot", "backup") {
		all[img.ID] = true
	}
	byAPI := map[int64]bool{}
	for _, id := range emu.ImagesRemovedByAPI() {
		byAPI[id] = true
	}
	var orphans, duplicates, losses, adopted int
	perDecl := map[string]int{}
	for id, decl := range images {
		perDecl[decl]++
		if _, ok := inState[strconv.FormatInt(id, 10)]; !ok {
			orphans++
			t.Errorf("after %s: image %d (%s) is in the API but not in the state", command, id, decl)
		}
	}
	for decl, n := range perDecl {
		if n > 1 {
			duplicates += n - 1
			t.Errorf("after %s: %d images of declaration %s", command, n, decl)
		}
	}
	for id, addr := range inState {
		n, _ := strconv.ParseInt(id, 10, 64)
		_, ours := images[n]
		switch {
		case ours:
		case all[n]:
			adopted++
			t.Errorf("after %s: %s points at image %s, which is not ours (an automatic backup)", command, addr, id)
		case byAPI[n]:
			if !fig.counted(n) {
				fig.removedByAPI++
			}
		default:
			losses++
			t.Errorf("after %s: %s points at image %s, which does not exist", command, addr, id)
		}
	}
	fig.orphans += orphans
	fig.duplicates += duplicates
	fig.losses += losses
	fig.adopted += adopted
	if orphans+duplicates+losses+adopted > 0 {
		fig.attribute(fig.during(emu), orphans, duplicates, losses, adopted)
	}
}

// counted remembers an image the API removed, so that it is counted once.
func (fig *soakFigures) counted(id int64) bool {
	if fig.removed == nil {
		fig.removed = map[int64]bool{}
	}
	seen := fig.removed[id]
	fig.removed[id] = true
	return seen
}

// userImages returns the emulator's snapshots and backups that a declaration of the soak
// made (they carry its decl label), with that label. Automatic backups have no labels.
func userImages(emu *emulator.Emulator) map[int64]string {
	out := map[int64]string{}
	for _, img := range emu.ImagesOfType("snapshot", "backup") {
		if decl := img.Labels["decl"]; decl != "" {
			out[img.ID] = decl
		}
	}
	return out
}

// automaticBackups counts the backups the API took on its own that are still there.
func automaticBackups(emu *emulator.Emulator) int {
	n := 0
	for _, img := range emu.ImagesOfType("backup") {
		if len(img.Labels) == 0 {
			n++
		}
	}
	return n
}

func injected(emu *emulator.Emulator) int {
	n := 0
	for _, c := range emu.ChaosCounts() {
		n += c
	}
	return n
}

func envInt(t *testing.T, name string, fallback int) int {
	s := os.Getenv(name)
	if s == "" {
		return fallback
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		t.Fatalf("%s=%q is not a whole number", name, s)
	}
	return n
}

func cliVersion(w *workspace) string {
	out, _ := w.run("version")
	line, _, _ := strings.Cut(out, "\n")
	return line
}
