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
	emu.SetChaos(emulator.Chaos{Rate: rate, Seed: seed, LockFor: time.Second})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	var fig soakFigures
	started := time.Now()

	for injected(emu) < target {
		fig.cycles++
		c := fig.cycles
		w.write(soakConfig(c, false))
		soakCommand(t, w, emu, &fig, "apply", "-auto-approve")
		soakPlanIsEmpty(t, w, &fig)
		w.write(soakConfig(c, true))
		soakCommand(t, w, emu, &fig, "apply", "-auto-approve")
		soakCommand(t, w, emu, &fig, "destroy", "-auto-approve")
		if left := userImages(emu); len(left) > 0 {
			fig.orphans += len(left)
			t.Errorf("cycle %d: %d images left after destroy", c, len(left))
			for id := range left {
				emu.RemoveImage(id) // so that the next cycle does not count them again
			}
		}
	}

	counts := emu.ChaosCounts()
	kinds := make([]string, 0, len(counts))
	for k := range counts {
		kinds = append(kinds, string(k))
	}
	sort.Strings(kinds)
	var b strings.Builder
	fmt.Fprintf(&b, "\nfault soak: seed %d, rate %.2f, %s, %s\n", seed, rate, time.Since(started).Round(time.Second), cliVersion(w))
	fmt.Fprintf(&b, "%-28s %6s\n", "fault injected", "count")
	for _, k := range kinds {
		fmt.Fprintf(&b, "%-28s %6d\n", k, counts[emulator.FaultKind(k)])
	}
	fmt.Fprintf(&b, "%-28s %6d\n", "total", injected(emu))
	fmt.Fprintf(&b, "%-28s %6d\n", "API requests", emu.TotalRequests())
	fmt.Fprintf(&b, "%-28s %6d\n", "cycles", fig.cycles)
	fmt.Fprintf(&b, "%-28s %6d\n", "CLI commands", fig.commands)
	fmt.Fprintf(&b, "%-28s %6d\n", "failed, fixed by a rerun", fig.failedThenFixed)
	fmt.Fprintf(&b, "%-28s %6d\n", "failed for good", fig.failedForGood)
	fmt.Fprintf(&b, "%-28s %6d\n", "plans with drift", fig.driftPlans)
	fmt.Fprintf(&b, "%-28s %6d\n", "orphaned images", fig.orphans)
	fmt.Fprintf(&b, "%-28s %6d\n", "duplicate images", fig.duplicates)
	fmt.Fprintf(&b, "%-28s %6d\n", "lost state entries", fig.losses)
	fmt.Print(b.String())
	if fig.orphans+fig.duplicates+fig.losses+fig.failedForGood > 0 {
		t.Errorf("the soak lost something: %d orphans, %d duplicates, %d losses, %d commands failed for good",
			fig.orphans, fig.duplicates, fig.losses, fig.failedForGood)
	}
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

func soakPlanIsEmpty(t *testing.T, w *workspace, fig *soakFigures) {
	t.Helper()
	for attempt := 0; attempt <= soakRetries; attempt++ {
		fig.commands++
		out, err := w.run("plan", "-detailed-exitcode")
		var exit *exec.ExitError
		switch {
		case err == nil:
			return
		case errors.As(err, &exit) && exit.ExitCode() == 2:
			fig.driftPlans++
			t.Errorf("the plan after a successful apply wants changes:\n%s", out)
			return
		}
	}
	fig.failedForGood++
}

// compareWithState counts orphans (in the API, not in the state), duplicates (two images of
// one declaration) and losses (in the state, gone from the API although nobody deleted it).
func compareWithState(t *testing.T, w *workspace, emu *emulator.Emulator, fig *soakFigures, command string) {
	t.Helper()
	inState := map[string]string{}
	for addr, img := range w.managedImages() {
		inState[img.ID] = addr
	}
	images := userImages(emu)
	perDecl := map[string]int{}
	for id, decl := range images {
		perDecl[decl]++
		if _, ok := inState[strconv.FormatInt(id, 10)]; !ok {
			fig.orphans++
			t.Errorf("after %s: image %d (%s) is in the API but not in the state", command, id, decl)
		}
	}
	for decl, n := range perDecl {
		if n > 1 {
			fig.duplicates += n - 1
			t.Errorf("after %s: %d images of declaration %s", command, n, decl)
		}
	}
	for id, addr := range inState {
		n, _ := strconv.ParseInt(id, 10, 64)
		if _, ok := images[n]; !ok {
			fig.losses++
			t.Errorf("after %s: %s points at image %s, which does not exist", command, addr, id)
		}
	}
}

// userImages returns the emulator's snapshots and backups with their declaration label.
func userImages(emu *emulator.Emulator) map[int64]string {
	out := map[int64]string{}
	for _, img := range emu.ImagesOfType("snapshot", "backup") {
		out[img.ID] = img.Labels["decl"]
	}
	return out
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
