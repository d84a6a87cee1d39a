package e2e

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// badInput is one invalid input: the phase it must fail in and the diagnostic it must give.
type badInput struct {
	name     string
	provider string            // replaces the provider block's body when set
	env      map[string]string // extra environment
	config   string            // resources and data sources
	importID string            // when set: terraform import hetzner_image.x <importID>
	phase    string            // validate, plan, apply or import
	summary  string
	detail   string // a whole sentence (or more) of the detail, as written
}

// phases runs a configuration as a user would, one command after the other, and says which
// command failed first and with what output.
func phases(w *workspace, tc badInput) (string, string) {
	if tc.importID != "" {
		out, err := w.run("import", "hetzner_image.x", tc.importID)
		if err != nil {
			return "import", out
		}
		return "none", out
	}
	for _, p := range []struct {
		phase string
		args  []string
	}{
		{"validate", []string{"validate"}},
		{"plan", []string{"plan"}},
		{"apply", []string{"apply", "-auto-approve"}},
	} {
		if out, err := w.run(p.args...); err != nil {
			return p.phase, out
		}
	}
	return "none", ""
}

func runBadInputs(t *testing.T, cases []badInput) {
	t.Helper()
	byPhase := map[string]int{}
	for _, tc := range cases {
		byPhase[tc.phase]++
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 1})
			w := newWorkspace(t, endpoint, emulatortest.Token)
			for k, v := range tc.env {
				w.env = append(w.env, k+"="+v)
			}
			hcl := tc.config
			if tc.importID != "" && hcl == "" {
				hcl = `resource "hetzner_image" "x" { server_id = 101 }`
			}
			w.write(hcl)
			if tc.provider != "" {
				w.writeProvider(tc.provider)
			}
			phase, out := phases(w, tc)
			if phase != tc.phase {
				t.Fatalf("failed in phase %q, want %q\n%s", phase, tc.phase, out)
			}
			flat := oneLine(out)
			if !strings.Contains(flat, "Error: "+tc.summary) {
				t.Errorf("no diagnostic %q in:\n%s", tc.summary, out)
			}
			if !strings.Contains(flat, oneLine(tc.detail)) {
				t.Errorf("the diagnostic does not say %q:\n%s", tc.detail, out)
			}
			// Nothing may have changed in the API. Validation never reaches it; plan and
			// import only read; an apply may send a request the API refuses, but no image
			// may come of it.
			for route, n := range emu.Requests() {
				if tc.phase == "validate" || (tc.phase != "apply" && !strings.HasPrefix(route, "GET ")) {
					t.Errorf("a refused input (%s) sent %d × %s", tc.phase, n, route)
				}
			}
			for _, img := range emu.ImagesOfType("snapshot", "backup") {
				t.Errorf("a refused input left image %d (%s)", img.ID, img.Type)
			}
		})
	}
	phasesSeen := make([]string, 0, len(byPhase))
	for p, n := range byPhase {
		phasesSeen = append(phasesSeen, fmt.Sprintf("%s %d", p, n))
	}
	sort.Strings(phasesSeen)
	t.Logf("%d bad inputs by phase: %s", len(cases), strings.Join(phasesSeen, ", "))
}
