package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
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
// attribute by attribute as the emulator has it.
func managedServerMatches(t *testing.T, p *peerRun) {
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
	if srv.Status != emulator.ServerStatusRunning {
		t.Errorf("the server is %s, want running", srv.Status)
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
