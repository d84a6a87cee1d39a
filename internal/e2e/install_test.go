package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The path a user takes: `make install` into their home, then a configuration that names
// tf-hetzner/hetzner, `init` and `apply` with nothing but HCLOUD_TOKEN and HCLOUD_ENDPOINT set:
// no CLI configuration file, no dev_overrides, no network.
func TestAccInstall_initFindsTheInstalledProviderWithoutCLIConfiguration(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("acceptance test: set TF_ACC=1 and TF_ACC_TERRAFORM_PATH (make testacc does)")
	}
	cli := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if cli == "" {
		t.Fatal("TF_ACC_TERRAFORM_PATH must name the Terraform or OpenTofu CLI to test with")
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 100 * time.Millisecond})

	// Nothing of the machine's CLI setup is kept: no TF_* variable (this machine may name a
	// TF_CLI_CONFIG_FILE that does not exist), no XDG directories, and a home that holds no CLI
	// configuration. The Go caches stay where they are: a new home would mean a cold build.
	var base []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "TF_") && !strings.HasPrefix(name, "XDG_") && !strings.HasPrefix(name, "HCLOUD_") &&
			name != "HOME" && name != "TERRAFORM_CONFIG" {
			base = append(base, kv)
		}
	}
	base = append(base, "HOME="+home)
	for _, v := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOENV"} {
		base = append(base, v+"="+goEnv(t, v))
	}
	// The CLI gets the emulator, and a proxy that refuses every connection: a registry lookup
	// would fail, so a successful init found the provider on disk.
	cliEnv := append(slicesClone(base),
		"HCLOUD_TOKEN="+emulatortest.Token,
		"HCLOUD_ENDPOINT="+endpoint,
		"CHECKPOINT_DISABLE=1",
		"HTTPS_PROXY=http://127.0.0.1:9",
		"HTTP_PROXY=http://127.0.0.1:9",
		"NO_PROXY=127.0.0.1,localhost",
	)
	run := func(env []string, dir, name string, args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(context.Background(), name, args...) //nolint:gosec // G702: the test runs binaries it built or the pinned CLI
		cmd.Dir, cmd.Env = dir, env
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out.String())
		}
		return out.String()
	}

	out := run(base, root, "make", "--no-print-directory", "install")
	if !strings.Contains(out, "installed tf-hetzner/hetzner ") {
		t.Fatalf("make install did not say what it installed:\n%s", out)
	}
	platform := runtime.GOOS + "_" + runtime.GOARCH
	for _, host := range []string{"registry.terraform.io", "registry.opentofu.org"} {
		found, _ := filepath.Glob(filepath.Join(home, ".terraform.d", "plugins", host, "tf-hetzner", "hetzner", "*", platform, "terraform-provider-hetzner_v*"))
		if len(found) != 1 {
			t.Fatalf("want one provider binary for %s under %s/.terraform.d/plugins, found %q", host, home, found)
		}
	}

	work := t.TempDir()
	config := `terraform {
  required_providers {
    hetzner = { source = "tf-hetzner/hetzner" }
  }
}

provider "hetzner" {}

resource "hetzner_image" "first" {
  server_id   = 101
  description = "a first snapshot"
}
`
	if err := os.WriteFile(filepath.Join(work, "main.tf"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	out = run(cliEnv, work, cli, "init", "-no-color")
	if !strings.Contains(out, "Installed tf-hetzner/hetzner v") {
		t.Fatalf("init did not install the provider from the local mirror:\n%s", out)
	}
	for _, unwanted := range []string{"problems with the CLI configuration", "development overrides"} {
		if strings.Contains(out, unwanted) {
			t.Fatalf("init printed %q:\n%s", unwanted, out)
		}
	}
	run(cliEnv, work, cli, "apply", "-auto-approve", "-no-color")
	snapshots := emu.ImagesOfType("snapshot")
	if len(snapshots) != 1 || snapshots[0].Description != "a first snapshot" {
		t.Fatalf("after apply the emulator holds %+v, want the one snapshot of the configuration", snapshots)
	}
	run(cliEnv, work, cli, "destroy", "-auto-approve", "-no-color")
	if left := emu.ImagesOfType("snapshot"); len(left) != 0 {
		t.Fatalf("after destroy the emulator still holds %+v", left)
	}
}

func goEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.CommandContext(context.Background(), "go", "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}
