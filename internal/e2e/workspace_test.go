// Package e2e drives the provider as a user does: a built provider binary found through a
// dev_overrides CLI configuration, a real Terraform or OpenTofu CLI run command by command,
// and the in-process emulator as the API. It can tell which phase (validate, plan, apply) a
// configuration fails in, read every log line, and inject faults between commands.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"
)

// cliConfig is the CLI configuration every workspace uses, written once for the package next to
// the provider binary it names: a dev_overrides block for tf-hetzner/hetzner, the same one
// scripts/lib.sh's cli_config writes for the demo and examples-check.
var cliConfig string

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Getenv("TF_ACC") == "" {
		return m.Run() // every test here skips itself; nothing to build
	}
	dir, err := os.MkdirTemp("", "hetzner-e2e-provider")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = os.RemoveAll(dir) }()
	build := exec.CommandContext(context.Background(), "go", "build", "-o", filepath.Join(dir, "terraform-provider-hetzner"),
		"github.com/tf-hetzner/terraform-provider-hetzner")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building the provider:", err)
		return 1
	}
	cliConfig = filepath.Join(dir, "cli.tfrc")
	config := fmt.Sprintf("provider_installation {\n  dev_overrides {\n    %q = %q\n  }\n  direct {}\n}\n",
		"tf-hetzner/hetzner", dir)
	if err := os.WriteFile(cliConfig, []byte(config), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// workspace is one Terraform working directory.
type workspace struct {
	t   testing.TB
	dir string
	cli string
	env []string
}

// newWorkspace prepares a working directory whose provider block is empty: the token and the
// endpoint come from HCLOUD_TOKEN and HCLOUD_ENDPOINT, as most users set them.
func newWorkspace(t testing.TB, endpoint, token string) *workspace {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make testacc does)")
	}
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH must name the Terraform or OpenTofu CLI to test with")
	}
	dir := t.TempDir()
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cliConfig,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"HCLOUD_TOKEN="+token,
		"HCLOUD_ENDPOINT="+endpoint,
	)
	return &workspace{t: t, dir: dir, cli: cli, env: env}
}

const header = `terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

provider "hetzner" {
  poll_interval = "50ms"
}
`

// write replaces the configuration (main.tf) with the header and the given HCL.
func (w *workspace) write(hcl string) {
	w.t.Helper()
	if err := os.WriteFile(filepath.Join(w.dir, "main.tf"), []byte(header+hcl), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// run runs the CLI with the given arguments and returns its combined output without colour.
func (w *workspace) run(args ...string) (string, error) {
	return w.runEnv(nil, args...)
}

func (w *workspace) runEnv(extra []string, args ...string) (string, error) {
	w.t.Helper()
	args = append(args[:1:1], append([]string{"-no-color"}, args[1:]...)...)
	cmd := exec.CommandContext(context.Background(), w.cli, args...)
	cmd.Dir = w.dir
	cmd.Env = append(slicesClone(w.env), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// state returns the current state as the CLI shows it.
func (w *workspace) state() *tfjson.State {
	w.t.Helper()
	cmd := exec.CommandContext(context.Background(), w.cli, "show", "-json")
	cmd.Dir = w.dir
	cmd.Env = w.env
	raw, err := cmd.Output()
	if err != nil {
		w.t.Fatalf("%s show -json: %v", w.cli, err)
	}
	var st tfjson.State
	if err := json.Unmarshal(raw, &st); err != nil {
		w.t.Fatalf("decoding the state: %v", err)
	}
	return &st
}

// managedImages returns the hetzner_image instances of the state: address → image id and
// whether the instance is tainted.
func (w *workspace) managedImages() map[string]stateImage {
	out := map[string]stateImage{}
	st := w.state()
	if st.Values == nil || st.Values.RootModule == nil {
		return out
	}
	for _, r := range st.Values.RootModule.Resources {
		if r.Type != "hetzner_image" || r.Mode != tfjson.ManagedResourceMode {
			continue
		}
		id, _ := r.AttributeValues["id"].(string)
		out[r.Address] = stateImage{ID: id, Tainted: r.Tainted}
	}
	return out
}

type stateImage struct {
	ID      string
	Tainted bool
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// oneLine folds the CLI's wrapped diagnostic text, so tests can compare whole sentences.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// writeProvider replaces the provider block's body (the header keeps required_providers).
func (w *workspace) writeProvider(body string) {
	w.t.Helper()
	path := filepath.Join(w.dir, "main.tf")
	raw, err := os.ReadFile(path)
	if err != nil {
		w.t.Fatal(err)
	}
	s := strings.Replace(string(raw), "provider \"hetzner\" {\n  poll_interval = \"50ms\"\n}", "provider \"hetzner\" {\n"+body+"\n}", 1)
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		w.t.Fatal(err)
	}
}
