package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// A state written before hetzner_image had an identity gains it on the next refresh, with an
// empty plan, on the CLIs that know identity; elsewhere nothing changes.
func TestAccIdentity_stateWithoutIdentityGainsItOnRefresh(t *testing.T) {
	_, endpoint := emulatortest.Start(t, emulator.Options{})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	skipWithoutIdentity(t, w)
	w.write(`
resource "hetzner_image" "snap" {
  server_id   = 101
  description = "written before identity"
}
`)
	if out, err := w.run("apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	// What an earlier version wrote: the same instance, without identity.
	stripIdentity(t, filepath.Join(w.dir, "terraform.tfstate"))
	if r := w.resources(tfjson.ManagedResourceMode, "hetzner_image")["hetzner_image.snap"]; r == nil || r.IdentityValues != nil {
		t.Fatalf("the state still holds an identity after it was removed: %+v", r)
	}

	if out, err := w.run("plan", "-detailed-exitcode"); err != nil {
		t.Fatalf("the plan of a state without identity is not empty: %v\n%s", err, out)
	}
	if out, err := w.run("apply", "-refresh-only", "-auto-approve"); err != nil {
		t.Fatalf("refresh: %v\n%s", err, out)
	}
	r := w.resources(tfjson.ManagedResourceMode, "hetzner_image")["hetzner_image.snap"]
	if r == nil || fmt.Sprint(r.IdentityValues["id"]) != fmt.Sprint(r.AttributeValues["id"]) {
		t.Fatalf("after the refresh the identity is %v, want the image id %v", r.IdentityValues, r.AttributeValues["id"])
	}
	if out, err := w.run("plan", "-detailed-exitcode"); err != nil {
		t.Errorf("the plan after the refresh is not empty: %v\n%s", err, out)
	}
}

// stripIdentity removes every resource instance's identity from a local state file.
func stripIdentity(t *testing.T, path string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var state map[string]any
	if err := json.Unmarshal(raw, &state); err != nil {
		t.Fatal(err)
	}
	found := false
	resources, _ := state["resources"].([]any)
	for _, r := range resources {
		instances, _ := r.(map[string]any)["instances"].([]any)
		for _, i := range instances {
			inst := i.(map[string]any)
			if _, ok := inst["identity"]; ok {
				found = true
			}
			delete(inst, "identity")
			delete(inst, "identity_schema_version")
		}
	}
	if !found {
		t.Fatalf("the state written by apply holds no identity to remove:\n%s", raw)
	}
	state["serial"] = state["serial"].(float64) + 1
	out, err := json.MarshalIndent(state, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
}
