package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
)

// cliRelease is which CLI a workspace runs, read once per call from `version -json`: OpenTofu
// answers it too, with its own version as terraform_version.
func cliRelease(t *testing.T, w *workspace) (tofu bool, v *version.Version) {
	t.Helper()
	out, err := w.run("version", "-json")
	if err != nil {
		t.Fatalf("%s version -json: %v\n%s", w.cli, err, out)
	}
	var info struct {
		Version string `json:"terraform_version"`
	}
	start := strings.Index(out, "{")
	if start < 0 {
		t.Fatalf("%s version -json printed no JSON:\n%s", w.cli, out)
	}
	if err := json.Unmarshal([]byte(out[start:]), &info); err != nil {
		t.Fatalf("reading %s version -json: %v\n%s", w.cli, err, out)
	}
	if v, err = version.NewVersion(info.Version); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	return strings.HasPrefix(cliVersion(w), "OpenTofu"), v
}

// terraformAtLeast tells whether the workspace's CLI is Terraform minimum or newer (OpenTofu
// never is).
func terraformAtLeast(t *testing.T, w *workspace, minimum string) bool {
	t.Helper()
	tofu, v := cliRelease(t, w)
	return !tofu && !v.LessThan(version.Must(version.NewVersion(minimum)))
}

// skipBelowTerraform skips the test unless the workspace's CLI is Terraform minimum or newer: the
// e2e counterpart of tfversion.SkipBelow, with the same words, so that scripts/testacc.sh can
// tell a test that skipped on the newest Terraform. OpenTofu is below every Terraform-only
// feature (terraform query, actions).
func skipBelowTerraform(t *testing.T, w *workspace, minimum string) {
	t.Helper()
	skipBelow(t, w, minimum, false)
}

// skipWithoutIdentity skips the test on CLIs that keep no resource identity: Terraform before
// 1.12 and OpenTofu before 1.12.
func skipWithoutIdentity(t *testing.T, w *workspace) {
	t.Helper()
	skipBelow(t, w, "1.12.0", true)
}

func skipBelow(t *testing.T, w *workspace, minimum string, tofuToo bool) {
	t.Helper()
	tofu, v := cliRelease(t, w)
	if tofu && !tofuToo {
		t.Skipf("OpenTofu %s: this needs Terraform %s or newer", v, minimum)
	}
	if v.LessThan(version.Must(version.NewVersion(minimum))) {
		t.Skipf("Terraform CLI version %s is below minimum version %s: skipping test", v, minimum)
	}
}
