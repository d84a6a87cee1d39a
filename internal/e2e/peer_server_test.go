package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// serverHCL is an hcloud_server of the official provider on the emulator's catalog.
func serverHCL(name, labels string, backups, protect bool) string {
	return fmt.Sprintf(`resource "hcloud_server" "s" {
  name               = %q
  server_type        = "cx23"
  image              = "ubuntu-24.04"
  location           = "hel1"
  labels             = %s
  backups            = %t
  delete_protection  = %t
  rebuild_protection = %t
}
`, name, labels, backups, protect, protect)
}

// createdServer is the one server the test created (the seeded ones aside).
func (p *peerRun) createdServer(t testing.TB) emulator.Server {
	t.Helper()
	created := slices.DeleteFunc(p.emu.Servers(), func(s emulator.Server) bool { return s.ID <= emulator.SeedServerARM })
	if len(created) != 1 {
		t.Fatalf("want exactly one created server, the emulator holds %d", len(created))
	}
	return created[0]
}

// managedServerMatches: the one hcloud_server in the state is the one server the test created,
// attribute by attribute as the emulator has it, and it runs.
func managedServerMatches(t *testing.T, p *peerRun) {
	t.Helper()
	managedServerIn(emulator.ServerStatusRunning)(t, p)
}

// managedServerIn is managedServerMatches for a server in the given status.
func managedServerIn(status string) func(t *testing.T, p *peerRun) {
	return func(t *testing.T, p *peerRun) {
		t.Helper()
		res := p.w.resources(tfjson.ManagedResourceMode, "hcloud_server")
		r, ok := res["hcloud_server.s"]
		if !ok || len(res) != 1 {
			t.Fatalf("the state holds %v, want hcloud_server.s", slices.Collect(maps.Keys(res)))
		}
		srv := p.createdServer(t)
		a := maps.Clone(r.AttributeValues)
		// The resource's id is a string, the data source's (which serverAttributesMatch reads) a number.
		if a["id"] != strconv.FormatInt(srv.ID, 10) {
			t.Errorf("hcloud_server.s.id = %#v, the emulator's server is %d", a["id"], srv.ID)
		}
		a["id"] = float64(srv.ID)
		serverAttributesMatch(t, p, "hcloud_server.s", a, srv.ID)
		if srv.Status != status {
			t.Errorf("the server is %s, want %s", srv.Status, status)
		}
	}
}

// noServerLeft: after a destroy, neither the emulator nor the state holds the created server.
func noServerLeft(t *testing.T, p *peerRun) {
	t.Helper()
	if got := len(p.emu.Servers()); got != 3 {
		t.Errorf("the emulator holds %d servers after destroy, want the 3 seeded ones", got)
	}
	if got := p.w.resources(tfjson.ManagedResourceMode, "hcloud_server"); len(got) != 0 {
		t.Errorf("the state still holds %v", slices.Collect(maps.Keys(got)))
	}
}

// Two ed25519 public keys made with ssh-keygen for these tests.
const (
	peerKeyOps = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAII3kCSDHPEMeGNIp/oEVnPkwmB6JCGpr9ykp83K8ucUY ops@example.com"
	peerKeyCI  = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHJRwmONsOQJqJqaCFONdL6zj/N2DTPB2XGhjT2Z6Ms7 ci@example.com"
)

// keyedServerHCL: two hcloud_ssh_key, the server naming one by id and one by name, as users do.
func keyedServerHCL(opsName, opsLabels string) string {
	return fmt.Sprintf(`resource "hcloud_ssh_key" "ops" {
  name       = %q
  public_key = %q
  labels     = %s
}

resource "hcloud_ssh_key" "ci" {
  name       = "ci"
  public_key = %q
}

resource "hcloud_server" "s" {
  name        = "app-1"
  server_type = "cx23"
  image       = "ubuntu-24.04"
  location    = "nbg1"
  ssh_keys    = [hcloud_ssh_key.ops.id, hcloud_ssh_key.ci.name]
}
`, opsName, peerKeyOps, opsLabels, peerKeyCI)
}

// resizeHCL is a server of the given type, keeping its disk or not.
func resizeHCL(serverType string, keepDisk bool) string {
	return fmt.Sprintf(`resource "hcloud_server" "s" {
  name        = "app-1"
  server_type = %q
  image       = "ubuntu-24.04"
  location    = "fsn1"
  keep_disk   = %t
}
`, serverType, keepDisk)
}

// actionHCL is a server and one of the official provider's server actions on it.
func actionHCL(action string) string {
	return resizeHCL("cx23", false) + fmt.Sprintf(`
action "hcloud_server_%s" "a" {
  config {
    server_id = hcloud_server.s.id
  }
}
`, action)
}

// peerServerCases are the hcloud_server configurations users write: with SSH keys, resized,
// of a deprecated type, and driven by the server actions.
var peerServerCases = []peerCase{
	{
		name: "hcloud_ssh_key and an hcloud_server with ssh_keys by id and by name: create, update the key, import it, destroy",
		steps: []peerStep{
			{name: "create", hcl: keyedServerHCL("ops", `{ team = "ops" }`), check: keyedServerMatches},
			{name: "rename and relabel the key", hcl: keyedServerHCL("ops-laptop", `{ team = "ops", device = "laptop" }`), check: keyedServerMatches},
			{name: "import the key", hcl: keyedServerHCL("ops-laptop", `{ team = "ops", device = "laptop" }`), cmds: [][]string{
				{"state", "rm", "hcloud_ssh_key.ops"},
				{"import", "hcloud_ssh_key.ops", "{sshkey:ops-laptop}"},
			}, check: keyedServerMatches},
			{name: "destroy", hcl: keyedServerHCL("ops-laptop", `{ team = "ops", device = "laptop" }`), cmds: [][]string{{"destroy", "-auto-approve"}}, destroy: true,
				check: func(t *testing.T, p *peerRun) {
					noServerLeft(t, p)
					if keys := p.emu.SSHKeys(); len(keys) != 0 {
						t.Errorf("the emulator still holds %d SSH keys", len(keys))
					}
				}},
		},
	},
	{
		name: "hcloud_server resized by server_type: up keeping the disk, down, up with the disk, down refused",
		steps: []peerStep{
			{name: "create cx23", hcl: resizeHCL("cx23", true), check: resizedTo("cx23", 40, false)},
			{name: "up to cx33, keep_disk", hcl: resizeHCL("cx33", true), check: resizedTo("cx33", 40, true)},
			{name: "down to cx23", hcl: resizeHCL("cx23", true), check: resizedTo("cx23", 40, true)},
			{name: "up to cx33 with the disk", hcl: resizeHCL("cx33", false), check: resizedTo("cx33", 80, true)},
			// The disk grew: the API refuses the smaller type, after the provider powered the
			// server off (it stays off: the provider does not power it on again).
			{name: "down to cx23 after the disk grew", hcl: resizeHCL("cx23", false),
				wantError: "has a disk of 40 GB, smaller than the 80 GB of server", check: func(t *testing.T, p *peerRun) {
					srv := p.createdServer(t)
					if srv.ServerType != "cx33" || srv.DiskSize != 80 || srv.Status != emulator.ServerStatusOff {
						t.Errorf("after the refusal the server is a %s with %g GB, %s; want the cx33 with 80 GB, off", srv.ServerType, srv.DiskSize, srv.Status)
					}
					if got, want := p.stepRequests(), []string{fmt.Sprintf("POST /v1/servers/%d/actions/poweroff", srv.ID)}; !slices.Equal(got, want) {
						t.Errorf("the provider sent %v (refused requests aside), want %v", got, want)
					}
				}},
			{name: "destroy", hcl: resizeHCL("cx33", false), cmds: [][]string{{"destroy", "-auto-approve"}}, destroy: true, check: noServerLeft},
		},
	},
	{
		name: "hcloud_server of the deprecated cx11: the provider's own diagnostic, nothing created",
		steps: []peerStep{{
			hcl:       resizeHCL("cx11", false),
			wantError: `Server Type "cx11" is unavailable in all locations and can no longer be ordered`,
			check: func(t *testing.T, p *peerRun) {
				if got := len(p.emu.Servers()); got != 3 {
					t.Errorf("the emulator holds %d servers, want the 3 seeded ones", got)
				}
				if sent := p.stepRequests(); len(sent) != 0 {
					t.Errorf("the provider sent %v, want nothing but reads", sent)
				}
			},
		}},
	},
	{
		name:    "the official provider's server actions through apply -invoke",
		actions: true,
		steps: []peerStep{
			{name: "create", hcl: resizeHCL("cx23", false), check: managedServerMatches},
			{name: "poweroff", hcl: actionHCL("poweroff"), cmds: invoke("poweroff"), check: invoked("poweroff", "stop_server", emulator.ServerStatusOff)},
			{name: "poweron", hcl: actionHCL("poweron"), cmds: invoke("poweron"), check: invoked("poweron", "start_server", emulator.ServerStatusRunning)},
			{name: "reboot", hcl: actionHCL("reboot"), cmds: invoke("reboot"), check: invoked("reboot", "reboot_server", emulator.ServerStatusRunning)},
			{name: "reset", hcl: actionHCL("reset"), cmds: invoke("reset"), check: invoked("reset", "reset_server", emulator.ServerStatusRunning)},
		},
	},
}

// invoke applies the configuration, invoking its action. apply -invoke leaves the state as it
// was (the server's status in it is the one before the action); the refresh-only apply after it
// writes what the API now says, as a user would, so that the state can be compared.
func invoke(action string) [][]string {
	return [][]string{
		{"apply", "-auto-approve", "-invoke=action.hcloud_server_" + action + ".a"},
		{"apply", "-refresh-only", "-auto-approve"},
	}
}

// keyedServerMatches: the keys in the state are the emulator's, attribute by attribute, and the
// server was created with both.
func keyedServerMatches(t *testing.T, p *peerRun) {
	t.Helper()
	managedServerMatches(t, p)
	res := p.w.resources(tfjson.ManagedResourceMode, "hcloud_ssh_key")
	keys := p.emu.SSHKeys()
	if len(res) != 2 || len(keys) != 2 {
		t.Fatalf("the state holds %d hcloud_ssh_key, the emulator %d keys; want two each", len(res), len(keys))
	}
	var ids []int64
	for _, addr := range []string{"hcloud_ssh_key.ops", "hcloud_ssh_key.ci"} {
		a := res[addr].AttributeValues
		i := slices.IndexFunc(keys, func(k emulator.SSHKey) bool { return strconv.FormatInt(k.ID, 10) == a["id"] })
		if i < 0 {
			t.Errorf("%s.id = %v is no key of the emulator", addr, a["id"])
			continue
		}
		k := keys[i]
		ids = append(ids, k.ID)
		for attr, want := range map[string]any{"name": k.Name, "public_key": k.PublicKey, "fingerprint": k.Fingerprint} {
			if a[attr] != want {
				t.Errorf("%s.%s = %#v in the state, the emulator has %#v", addr, attr, a[attr], want)
			}
		}
		if got := stringMap(a["labels"]); !maps.Equal(got, k.Labels) {
			t.Errorf("%s.labels = %v in the state, the emulator has %v", addr, got, k.Labels)
		}
	}
	if got := p.createdServer(t).SSHKeys; !slices.Equal(got, ids) {
		t.Errorf("the server was created with keys %v, want %v (ops by id, ci by name)", got, ids)
	}
}

// resizedTo: the server is of the type with the disk, running, as the state says; after a
// change the provider powered it off and changed its type, and the API started it again.
func resizedTo(serverType string, disk float64, changed bool) func(t *testing.T, p *peerRun) {
	return func(t *testing.T, p *peerRun) {
		t.Helper()
		managedServerMatches(t, p)
		srv := p.createdServer(t)
		if srv.ServerType != serverType || srv.DiskSize != disk {
			t.Errorf("the server is a %s with %g GB, want a %s with %g GB", srv.ServerType, srv.DiskSize, serverType, disk)
		}
		if !changed {
			return
		}
		base := fmt.Sprintf("/v1/servers/%d/actions/", srv.ID)
		if got, want := p.stepRequests(), []string{"POST " + base + "poweroff", "POST " + base + "change_type"}; !slices.Equal(got, want) {
			t.Errorf("the provider sent %v, want %v", got, want)
		}
		history := p.emu.ServerHistory(srv.ID)
		if n := len(history); n < 6 || !slices.Equal(history[n-6:], []string{"stop_server", "stopping", "off", history[n-3], "migrating", "running"}) ||
			!strings.HasPrefix(history[n-3], "change_server_type (") {
			t.Errorf("the server's history ends %v, want stop_server, stopping, off, change_server_type, migrating, running", history)
		}
	}
}

// invoked: the action sent its one request and left the server in the status, which the state
// shows like the rest of the server.
func invoked(action, command, status string) func(t *testing.T, p *peerRun) {
	return func(t *testing.T, p *peerRun) {
		t.Helper()
		srv := p.createdServer(t)
		if want := []string{fmt.Sprintf("POST /v1/servers/%d/actions/%s", srv.ID, action)}; !slices.Equal(p.stepRequests(), want) {
			t.Errorf("the provider sent %v, want %v", p.stepRequests(), want)
		}
		if !slices.Contains(p.emu.ServerHistory(srv.ID), command) {
			t.Errorf("the server's history %v lacks %s", p.emu.ServerHistory(srv.ID), command)
		}
		managedServerIn(status)(t, p)
	}
}

// stepRequests are the changing requests of the current step.
func (p *peerRun) stepRequests() []string {
	entries := p.requests.since(p.stepStart)
	return lines(entries)
}
