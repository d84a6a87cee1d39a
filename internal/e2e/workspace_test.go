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
	"sync"
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
	if err := os.WriteFile(cliConfig, devOverrides("tf-hetzner/hetzner", dir), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

// devOverrides is a CLI configuration that serves each source address (source, directory, ...)
// from the binary in its directory.
func devOverrides(sourceDirs ...string) []byte {
	var b strings.Builder
	b.WriteString("provider_installation {\n  dev_overrides {\n")
	for i := 0; i+1 < len(sourceDirs); i += 2 {
		fmt.Fprintf(&b, "    %q = %q\n", sourceDirs[i], sourceDirs[i+1])
	}
	b.WriteString("  }\n  direct {}\n}\n")
	return []byte(b.String())
}

// peerProvider finds the official provider's binary once per test binary. TF_ACC_HCLOUD_PROVIDER
// names it (scripts/testacc.sh sets it); otherwise scripts/cli.sh prints its path, building it
// into the cache the first time.
var peerProvider = sync.OnceValues(func() (string, error) {
	if path := os.Getenv("TF_ACC_HCLOUD_PROVIDER"); path != "" {
		return path, nil
	}
	out, err := exec.CommandContext(context.Background(), filepath.Join("..", "..", "scripts", "cli.sh"), "hcloud").Output()
	if err != nil {
		return "", fmt.Errorf("scripts/cli.sh hcloud: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
})

// peerProviderDir returns the directory dev_overrides names for hetznercloud/hcloud.
func peerProviderDir(t testing.TB) string {
	t.Helper()
	path, err := peerProvider()
	if err != nil {
		t.Fatalf("finding the official provider (set TF_ACC_HCLOUD_PROVIDER to its binary): %v", err)
	}
	// dev_overrides looks for the binary by its conventional name in the directory it is given.
	if filepath.Base(path) != "terraform-provider-hcloud" {
		t.Fatalf("TF_ACC_HCLOUD_PROVIDER=%s: the binary must be named terraform-provider-hcloud", path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the official provider: %v", err)
	}
	return filepath.Dir(path)
}

// workspace is one Terraform working directory. Its CLI configuration is the package's, or its
// own when it serves the official provider too.
type workspace struct {
	t    testing.TB
	dir  string
	cli  string
	env  []string
	peer bool // the official provider is served too, as hetznercloud/hcloud
}

// workspaceOption changes what a workspace serves.
type workspaceOption func(*workspace)

// withPeer serves the official provider (terraform-provider-hcloud, source hetznercloud/hcloud)
// next to ours through the same dev_overrides, and write adds it to the header with its own
// provider block: the configuration our users run, both providers on one API.
func withPeer() workspaceOption { return func(w *workspace) { w.peer = true } }

// drivesCLIByName says whether a test's name is one that a run with a CLI selects: make testacc
// runs ^TestAcc, make soak and make bench their own tests.
func drivesCLIByName(name string) bool {
	for _, prefix := range []string{"TestAcc", "TestSoak", "TestBenchmark", "Benchmark"} {
		if strings.HasPrefix(name, prefix) {
			return true
		}
	}
	return false
}

// newWorkspace prepares a working directory whose provider blocks set nothing but polling: the
// token and the endpoint come from HCLOUD_TOKEN and HCLOUD_ENDPOINT, as most users set them,
// and both providers read them.
func newWorkspace(t testing.TB, endpoint, token string, opts ...workspaceOption) *workspace {
	t.Helper()
	if !drivesCLIByName(t.Name()) {
		t.Fatalf("%s drives a CLI: name it TestAcc… so that make testacc runs it; a unit run only skips it", t.Name())
	}
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make testacc does)")
	}
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH must name the Terraform or OpenTofu CLI to test with")
	}
	w := &workspace{t: t, dir: t.TempDir(), cli: cli}
	for _, o := range opts {
		o(w)
	}
	config := cliConfig
	if w.peer {
		config = filepath.Join(w.dir, ".cli.tfrc")
		rc := devOverrides("tf-hetzner/hetzner", filepath.Dir(cliConfig), "hetznercloud/hcloud", peerProviderDir(t))
		if err := os.WriteFile(config, rc, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	w.env = append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+config,
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		"HCLOUD_TOKEN="+token,
		"HCLOUD_ENDPOINT="+endpoint,
	)
	return w
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

// peerHeader is the header of a workspace that serves the official provider too.
const peerHeader = `terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
    hcloud = {
      source = "hetznercloud/hcloud"
    }
  }
}

provider "hetzner" {
  poll_interval = "50ms"
}

provider "hcloud" {
  poll_interval = "50ms"
}
`

// write replaces the configuration (main.tf) with the header and the given HCL.
func (w *workspace) write(hcl string) {
	w.t.Helper()
	h := header
	if w.peer {
		h = peerHeader
	}
	w.writeFile("main.tf", h+hcl)
}

// writeFile writes one file of the configuration as given, without a header (for examples,
// which bring their own terraform block); empty content removes the file.
func (w *workspace) writeFile(name, content string) {
	w.t.Helper()
	path := filepath.Join(w.dir, name)
	if content == "" {
		if err := os.Remove(path); err != nil && !os.IsNotExist(err) {
			w.t.Fatal(err)
		}
		return
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		w.t.Fatal(err)
	}
}

// run runs the CLI with the given arguments and returns its combined output without colour.
func (w *workspace) run(args ...string) (string, error) {
	return w.runEnv(nil, args...)
}

func (w *workspace) runEnv(extra []string, args ...string) (string, error) {
	w.t.Helper()
	cmd, out := w.command(extra, args...)
	err := cmd.Run()
	return out.String(), err
}

// command is the CLI with args (and -no-color) in the workspace, with its environment and extra
// variables; the buffer collects its output.
func (w *workspace) command(extra []string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	// -no-color follows the command, or the subcommand of state (state -no-color rm is refused).
	at := 1
	if args[0] == "state" {
		at = 2
	}
	args = append(args[:at:at], append([]string{"-no-color"}, args[at:]...)...)
	cmd := exec.CommandContext(context.Background(), w.cli, args...)
	cmd.Dir = w.dir
	cmd.Env = append(slicesClone(w.env), extra...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	return cmd, &out
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

// resources returns the instances of the state of the given type and mode, by address.
func (w *workspace) resources(mode tfjson.ResourceMode, typ string) map[string]*tfjson.StateResource {
	out := map[string]*tfjson.StateResource{}
	st := w.state()
	if st.Values == nil || st.Values.RootModule == nil {
		return out
	}
	for _, r := range st.Values.RootModule.Resources {
		if r.Type == typ && r.Mode == mode {
			out[r.Address] = r
		}
	}
	return out
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
