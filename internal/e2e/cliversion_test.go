package e2e

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/go-version"
)

// skipBelowTerraform skips the test unless the workspace's CLI is Terraform min or newer: the
// e2e counterpart of tfversion.SkipBelow, with the same words, so that scripts/testacc.sh can
// tell a test that skipped on the newest Terraform. OpenTofu is below every Terraform-only
// feature (identity in import blocks, terraform query, actions).
func skipBelowTerraform(t *testing.T, w *workspace, minimum string) {
	t.Helper()
	if terraformAtLeast(t, w, minimum) {
		return
	}
	if first := cliVersion(w); strings.HasPrefix(first, "OpenTofu") {
		t.Skipf("%s is OpenTofu: this needs Terraform %s or newer", first, minimum)
	}
	t.Skipf("Terraform CLI version %s is below minimum version %s: skipping test", cliSemver(t, w), minimum)
}

// terraformAtLeast tells whether the workspace's CLI is Terraform minimum or newer (OpenTofu
// never is).
func terraformAtLeast(t *testing.T, w *workspace, minimum string) bool {
	t.Helper()
	return !strings.HasPrefix(cliVersion(w), "OpenTofu") &&
		!cliSemver(t, w).LessThan(version.Must(version.NewVersion(minimum)))
}

// cliSemver is the version the CLI reports in version -json (OpenTofu's included).
func cliSemver(t *testing.T, w *workspace) *version.Version {
	t.Helper()
	out, err := w.run("version", "-json")
	if err != nil {
		t.Fatalf("%s version -json: %v\n%s", w.cli, err, out)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &v); err != nil {
		t.Fatalf("reading %s version -json: %v\n%s", w.cli, err, out)
	}
	have, err := version.NewVersion(v.Version)
	if err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	return have
}

// skipWithoutIdentity skips the test on CLIs that keep no resource identity: Terraform before
// 1.12 and OpenTofu before 1.12.
func skipWithoutIdentity(t *testing.T, w *workspace) {
	t.Helper()
	if strings.HasPrefix(cliVersion(w), "OpenTofu") && !cliSemver(t, w).LessThan(version.Must(version.NewVersion("1.12.0"))) {
		return
	}
	skipBelowTerraform(t, w, "1.12.0")
}
