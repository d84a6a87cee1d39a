package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	tfjson "github.com/hashicorp/terraform-json"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The peer conformance suite: configurations that use only the official provider
// (terraform-provider-hcloud, built on hcloud-go by Hetzner against the real API) on our
// emulator. Where our reading of the API and theirs differ, one of these steps fails. Each step
// runs its commands, then asserts that they succeeded, that a plan right after them is empty,
// and that what the provider put in its state is what the emulator holds; emulatortest fails
// the test on any response that violates the OpenAPI description.

// peerStep is one configuration and the commands run on it.
type peerStep struct {
	name string
	hcl  string     // the configuration after the header
	cmds [][]string // the commands; apply -auto-approve when nil
	// destroy: the commands destroy, so the plan that must be empty is plan -destroy.
	destroy bool
	// check compares the state with the emulator after the command.
	check func(t *testing.T, p *peerRun)
	// wantError: the last command must fail with this text in its output (the peer's own
	// diagnostic); no plan follows, check says what must not have happened.
	wantError string
}

// peerRun is what a step's check sees.
type peerRun struct {
	w        *workspace
	emu      *emulator.Emulator
	endpoint string
	requests *orderLog
	// stepStart is how many requests the log held when the step began.
	stepStart int
}

// peerFixture adds what a case needs to the seeded emulator.
type peerFixture func(t *testing.T, emu *emulator.Emulator)

// peerCase is one configuration's story, step by step.
type peerCase struct {
	name    string
	opts    emulator.Options
	fixture peerFixture
	steps   []peerStep
	// actions: the case invokes actions, which only Terraform 1.14 and newer have.
	actions bool
}

var peerCases = []peerCase{
	{
		name: "hcloud_snapshot with labels: create, update, import, destroy",
		steps: []peerStep{
			{name: "create", hcl: snapshotHCL("before the upgrade", `{ env = "prod", tier = "web" }`), check: snapshotMatches},
			{name: "update description and labels", hcl: snapshotHCL("after the upgrade", `{ env = "prod", tier = "edge", keep = "" }`), check: snapshotMatches},
			{name: "import", hcl: snapshotHCL("after the upgrade", `{ env = "prod", tier = "edge", keep = "" }`), cmds: [][]string{
				{"state", "rm", "hcloud_snapshot.s"},
				{"import", "hcloud_snapshot.s", "{snapshot}"},
			}, check: snapshotMatches},
			{name: "destroy", hcl: snapshotHCL("after the upgrade", `{ env = "prod", tier = "edge", keep = "" }`), cmds: [][]string{{"destroy", "-auto-approve"}}, destroy: true, check: nothingLeft},
		},
	},
	{
		// The provider sends "description": "" when none is configured.
		name: "hcloud_snapshot without description or labels: create, destroy",
		steps: []peerStep{
			{name: "create", hcl: `resource "hcloud_snapshot" "s" { server_id = 103 }`, check: snapshotMatches},
			{name: "destroy", hcl: `resource "hcloud_snapshot" "s" { server_id = 103 }`, cmds: [][]string{{"destroy", "-auto-approve"}}, destroy: true, check: nothingLeft},
		},
	},
	{
		name: "hcloud_server: create, rename and relabel with backups, protect, import, destroy",
		steps: []peerStep{
			{name: "create", hcl: serverHCL("app-1", `{ env = "test" }`, false, false), check: managedServerMatches},
			{name: "rename, relabel, backups on", hcl: serverHCL("app-2", `{ env = "prod", tier = "web" }`, true, false), check: managedServerMatches},
			{name: "protect", hcl: serverHCL("app-2", `{ env = "prod", tier = "web" }`, true, true), check: managedServerMatches},
			{name: "import", hcl: serverHCL("app-2", `{ env = "prod", tier = "web" }`, true, true), cmds: [][]string{
				{"state", "rm", "hcloud_server.s"},
				{"import", "hcloud_server.s", "{server}"},
			}, check: managedServerMatches},
			{name: "unprotect", hcl: serverHCL("app-2", `{ env = "prod", tier = "web" }`, true, false), check: managedServerMatches},
			{name: "destroy", hcl: serverHCL("app-2", `{ env = "prod", tier = "web" }`, true, false), cmds: [][]string{{"destroy", "-auto-approve"}}, destroy: true, check: noServerLeft},
		},
	},
	{
		name: "data hcloud_server by id",
		steps: []peerStep{{
			hcl:   `data "hcloud_server" "s" { id = 102 }`,
			check: serversMatch("data.hcloud_server.s", emulator.SeedServerBackups),
		}},
	},
	{
		name: "data hcloud_server by name",
		steps: []peerStep{{
			hcl:   `data "hcloud_server" "s" { name = "arm-1" }`,
			check: serversMatch("data.hcloud_server.s", emulator.SeedServerARM),
		}},
	},
	{
		name: "data hcloud_server by selector and status",
		steps: []peerStep{{
			hcl:   `data "hcloud_server" "s" {` + "\n" + `  with_selector = "env=prod,role=web"` + "\n" + `  with_status   = ["running"]` + "\n}",
			check: serversMatch("data.hcloud_server.s", emulator.SeedServerNoBackups),
		}},
	},
	{
		name: "data hcloud_servers over two pages, by selector and status",
		opts: emulator.Options{Servers: 60},
		// db-1 is off, powered down outside Terraform.
		fixture: func(t *testing.T, emu *emulator.Emulator) {
			off := emulator.ServerStatusOff
			if ok, err := emu.SetServerPower(emulator.SeedServerBackups, &off, nil); !ok || err != nil {
				t.Fatalf("powering db-1 off: %v %v", ok, err)
			}
		},
		steps: []peerStep{{
			hcl: `data "hcloud_servers" "fleet" {` + "\n" + `  with_selector = "fleet=yes"` + "\n}\n" +
				`data "hcloud_servers" "prod" {` + "\n" + `  with_selector = "env=prod"` + "\n" + `  with_status   = ["running", "off"]` + "\n}\n" +
				`data "hcloud_servers" "off" {` + "\n" + `  with_status = ["off"]` + "\n}",
			check: func(t *testing.T, p *peerRun) {
				fleet := make([]int64, 60)
				for i := range fleet {
					fleet[i] = 104 + int64(i)
				}
				listMatches(t, p, "data.hcloud_servers.fleet", "servers", fleet, serverAttributesMatch)
				listMatches(t, p, "data.hcloud_servers.prod", "servers", []int64{emulator.SeedServerNoBackups, emulator.SeedServerBackups}, serverAttributesMatch)
				listMatches(t, p, "data.hcloud_servers.off", "servers", []int64{emulator.SeedServerBackups}, serverAttributesMatch)
			},
		}},
	},
	{
		name: "data hcloud_image by name and architecture, by id, deprecated",
		steps: []peerStep{{
			hcl: `data "hcloud_image" "arm" {` + "\n" + `  name              = "ubuntu-24.04"` + "\n" + `  with_architecture = "arm"` + "\n}\n" +
				`data "hcloud_image" "x86" { name = "debian-12" }` + "\n" +
				`data "hcloud_image" "by_id" { id = 1006 }` + "\n" +
				`data "hcloud_image" "old" {` + "\n" + `  name               = "ubuntu-20.04"` + "\n" + `  include_deprecated = true` + "\n}",
			check: func(t *testing.T, p *peerRun) {
				imageMatches(t, p, "data.hcloud_image.arm", emulator.SeedImageUbuntu2404ARM)
				imageMatches(t, p, "data.hcloud_image.x86", emulator.SeedImageDebian12)
				imageMatches(t, p, "data.hcloud_image.by_id", emulator.SeedImageDockerCEApp)
				imageMatches(t, p, "data.hcloud_image.old", emulator.SeedImageUbuntu2004)
			},
		}},
	},
	{
		name:    "data hcloud_image by selector",
		fixture: peerSnapshots,
		steps: []peerStep{{
			hcl:   `data "hcloud_image" "s" { with_selector = "app=db" }`,
			check: func(t *testing.T, p *peerRun) { imageMatches(t, p, "data.hcloud_image.s", peerSnapshotDB) },
		}},
	},
	{
		name:    "data hcloud_image most_recent",
		fixture: peerSnapshots,
		steps: []peerStep{{
			hcl:   `data "hcloud_image" "s" {` + "\n" + `  with_selector = "kind=nightly"` + "\n" + `  most_recent   = true` + "\n}",
			check: func(t *testing.T, p *peerRun) { imageMatches(t, p, "data.hcloud_image.s", peerSnapshotNewest) },
		}},
	},
	{
		name:    "data hcloud_images",
		fixture: peerSnapshots,
		steps: []peerStep{{
			hcl: `data "hcloud_images" "nightly" {` + "\n" + `  with_selector = "kind=nightly"` + "\n" + `  most_recent   = true` + "\n}\n" +
				`data "hcloud_images" "arm" { with_architecture = ["arm"] }`,
			check: func(t *testing.T, p *peerRun) {
				listMatches(t, p, "data.hcloud_images.nightly", "images", []int64{peerSnapshotNewest, peerSnapshotMiddle, peerSnapshotDB}, imageAttributesMatch)
				// Not the deprecated ones, whatever their architecture; ubuntu-24.04 and debian-12 on arm.
				listMatches(t, p, "data.hcloud_images.arm", "images", []int64{emulator.SeedImageUbuntu2404ARM, emulator.SeedImageDebian12ARM}, imageAttributesMatch)
			},
		}},
	},
}

// TestAccPeer runs the conformance table on the CLI that TF_ACC_TERRAFORM_PATH names.
func TestAccPeer(t *testing.T) {
	for _, tc := range append(slices.Clone(peerCases), peerServerCases...) {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := tc.opts
			opts.ActionDuration = 200 * time.Millisecond
			log := &orderLog{}
			opts.OnResponse = log.observe
			emu, endpoint := emulatortest.Start(t, opts)
			if tc.fixture != nil {
				tc.fixture(t, emu)
			}
			p := &peerRun{w: newWorkspace(t, endpoint, emulatortest.Token, withPeer()), emu: emu, endpoint: endpoint, requests: log}
			if tc.actions {
				skipBelowTerraform(t, p.w, "1.14.0")
			}
			for i, step := range tc.steps {
				name := step.name
				if name == "" {
					name = "apply"
				}
				p.w.write(step.hcl)
				p.stepStart = log.len()
				cmds := step.cmds
				if cmds == nil {
					cmds = [][]string{{"apply", "-auto-approve"}}
				}
				for j, args := range cmds {
					args = p.expand(args)
					out, err := p.w.run(args...)
					if step.wantError != "" && j == len(cmds)-1 {
						if err == nil || !strings.Contains(oneLine(out), step.wantError) {
							t.Fatalf("step %d (%s): %v: want a failure saying %q, got %v:\n%s", i+1, name, args, step.wantError, err, out)
						}
						continue
					}
					if err != nil {
						t.Fatalf("step %d (%s): %v: %v\n%s", i+1, name, args, err, out)
					}
				}
				if step.wantError != "" {
					step.check(t, p)
					if t.Failed() {
						t.Fatalf("step %d (%s): the refusal left a trace", i+1, name)
					}
					continue
				}
				plan := []string{"plan", "-detailed-exitcode"}
				if step.destroy {
					plan = append(plan, "-destroy")
				}
				if out, err := p.w.run(plan...); err != nil {
					t.Fatalf("step %d (%s): the plan after it is not empty (%v):\n%s", i+1, name, err, out)
				}
				step.check(t, p)
				if t.Failed() {
					t.Fatalf("step %d (%s): the state and the emulator differ", i+1, name)
				}
			}
		})
	}
}

// expand replaces {snapshot} with the id of the one snapshot the emulator holds, {server}
// with the id of the one server the test created, and {sshkey:NAME} with the id of
// the SSH key of that name.
func (p *peerRun) expand(args []string) []string {
	out := slices.Clone(args)
	for i, a := range out {
		if a == "{server}" {
			out[i] = strconv.FormatInt(p.createdServer(p.w.t).ID, 10)
		}
		if name, ok := strings.CutPrefix(a, "{sshkey:"); ok {
			keys := p.emu.SSHKeys()
			k := slices.IndexFunc(keys, func(k emulator.SSHKey) bool { return k.Name+"}" == name })
			if k < 0 {
				p.w.t.Fatalf("want the SSH key %s to import, the emulator holds %v", a, keys)
			}
			out[i] = strconv.FormatInt(keys[k].ID, 10)
		}
		if a == "{snapshot}" {
			snaps := p.emu.ImagesOfType("snapshot")
			if len(snaps) != 1 {
				p.w.t.Fatalf("want exactly one snapshot to import, the emulator holds %d", len(snaps))
			}
			out[i] = strconv.FormatInt(snaps[0].ID, 10)
		}
	}
	return out
}

func snapshotHCL(description, labels string) string {
	return fmt.Sprintf("resource \"hcloud_snapshot\" \"s\" {\n  server_id   = 101\n  description = %q\n  labels      = %s\n}\n", description, labels)
}

// nothingLeft: after a destroy, neither the emulator nor the state holds a snapshot.
func nothingLeft(t *testing.T, p *peerRun) {
	t.Helper()
	if got := p.emu.ImagesOfType("snapshot", "backup"); len(got) != 0 {
		t.Errorf("the emulator still holds %d images after destroy", len(got))
	}
	if got := p.w.resources(tfjson.ManagedResourceMode, "hcloud_snapshot"); len(got) != 0 {
		t.Errorf("the state still holds %v", slices.Collect(maps.Keys(got)))
	}
}

// snapshotMatches: the one hcloud_snapshot in the state is the one snapshot of the emulator,
// with the same server, description and labels.
func snapshotMatches(t *testing.T, p *peerRun) {
	t.Helper()
	res := p.w.resources(tfjson.ManagedResourceMode, "hcloud_snapshot")
	snaps := p.emu.ImagesOfType("snapshot")
	if len(res) != 1 || len(snaps) != 1 {
		t.Fatalf("the state holds %d hcloud_snapshot, the emulator %d snapshots; want one each", len(res), len(snaps))
	}
	a := res["hcloud_snapshot.s"].AttributeValues
	img := snaps[0]
	if a["id"] != strconv.FormatInt(img.ID, 10) {
		t.Errorf("state id %v, emulator snapshot %d", a["id"], img.ID)
	}
	if img.Status != emulator.ImageStatusAvailable {
		t.Errorf("snapshot %d is %s after the apply, want available", img.ID, img.Status)
	}
	if img.CreatedFrom == nil || a["server_id"] != float64(img.CreatedFrom.ID) {
		t.Errorf("state server_id %v, emulator created_from %+v", a["server_id"], img.CreatedFrom)
	}
	if a["description"] != img.Description {
		t.Errorf("state description %q, emulator %q", a["description"], img.Description)
	}
	if got := stringMap(a["labels"]); !maps.Equal(got, img.Labels) {
		t.Errorf("state labels %v, emulator %v", got, img.Labels)
	}
}

// apiServer is the part of the API's server object that the data sources show.
type apiServer struct {
	ID           int64             `json:"id"`
	Name         string            `json:"name"`
	Status       string            `json:"status"`
	BackupWindow *string           `json:"backup_window"`
	Labels       map[string]string `json:"labels"`
	ServerType   struct {
		Name string `json:"name"`
	} `json:"server_type"`
	Location struct {
		Name string `json:"name"`
	} `json:"location"`
	Image *struct {
		ID   int64   `json:"id"`
		Name *string `json:"name"`
	} `json:"image"`
	PublicNet struct {
		IPv4 struct {
			IP string `json:"ip"`
		} `json:"ipv4"`
		IPv6 struct {
			IP string `json:"ip"`
		} `json:"ipv6"`
	} `json:"public_net"`
	Protection struct {
		Delete  bool `json:"delete"`
		Rebuild bool `json:"rebuild"`
	} `json:"protection"`
	PrimaryDiskSize int `json:"primary_disk_size"`
}

// server reads one server from the emulator's API, as any client would.
func (p *peerRun) server(t *testing.T, id int64) apiServer {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, fmt.Sprintf("%s/servers/%d", p.endpoint, id), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+emulatortest.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	var body struct {
		Server apiServer `json:"server"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /servers/%d: %s", id, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Server
}

// serverAttributesMatch compares a server as the official provider stored it with the
// emulator's model and its API object.
func serverAttributesMatch(t *testing.T, p *peerRun, addr string, a map[string]any, id int64) {
	t.Helper()
	want := p.emulatorServer(t, id)
	api := p.server(t, id)
	image := ""
	if api.Image != nil && api.Image.Name != nil {
		image = *api.Image.Name
	}
	window := ""
	if api.BackupWindow != nil {
		window = *api.BackupWindow
	}
	for attr, w := range map[string]any{
		"id": float64(want.ID), "name": want.Name, "status": want.Status, "server_type": want.ServerType,
		"location": want.Location, "backups": want.BackupsEnabled,
		"backup_window": window, "delete_protection": want.DeleteProtection, "rebuild_protection": want.RebuildProtection,
		"primary_disk_size": want.DiskSize, "image": image, "ipv4_address": api.PublicNet.IPv4.IP,
		"ipv6_network": api.PublicNet.IPv6.IP,
		// The provider shows the network's first address.
		"ipv6_address": strings.TrimSuffix(api.PublicNet.IPv6.IP, "/64") + "1",
	} {
		if a[attr] != w {
			t.Errorf("%s.%s = %#v in the state, the emulator has %#v", addr, attr, a[attr], w)
		}
	}
	if got := stringMap(a["labels"]); !maps.Equal(got, want.Labels) {
		t.Errorf("%s.labels = %v in the state, the emulator has %v", addr, got, want.Labels)
	}
}

func (p *peerRun) emulatorServer(t *testing.T, id int64) emulator.Server {
	t.Helper()
	for _, s := range p.emu.Servers() {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("the emulator has no server %d", id)
	return emulator.Server{}
}

func (p *peerRun) data(t *testing.T, addr string) map[string]any {
	t.Helper()
	for _, typ := range []string{"hcloud_server", "hcloud_servers", "hcloud_image", "hcloud_images"} {
		if r, ok := p.w.resources(tfjson.DataResourceMode, typ)[addr]; ok {
			return r.AttributeValues
		}
	}
	t.Fatalf("the state has no %s", addr)
	return nil
}

func serversMatch(addr string, id int64) func(t *testing.T, p *peerRun) {
	return func(t *testing.T, p *peerRun) {
		serverAttributesMatch(t, p, addr, p.data(t, addr), id)
	}
}

// listMatches: the list attribute key of a list data source holds exactly the objects with
// these ids, in this order, each as the emulator has it.
func listMatches(t *testing.T, p *peerRun, addr, key string, ids []int64,
	match func(t *testing.T, p *peerRun, addr string, a map[string]any, id int64),
) {
	t.Helper()
	list, _ := p.data(t, addr)[key].([]any)
	if len(list) != len(ids) {
		t.Fatalf("%s lists %d %s, want %d", addr, len(list), key, len(ids))
	}
	for i, item := range list {
		a, _ := item.(map[string]any)
		match(t, p, fmt.Sprintf("%s.%s[%d]", addr, key, i), a, ids[i])
	}
}

// imageAttributesMatch compares an image as the official provider stored it with the emulator's.
func imageAttributesMatch(t *testing.T, p *peerRun, addr string, a map[string]any, id int64) {
	t.Helper()
	img, ok := p.emu.Image(id)
	if !ok {
		t.Fatalf("the emulator has no image %d", id)
	}
	name, osVersion, deprecated := "", "", any(nil)
	if img.Name != nil {
		name = *img.Name
	}
	if img.OSVersion != nil {
		osVersion = *img.OSVersion
	}
	if img.Deprecated != nil {
		deprecated = img.Deprecated.Format(time.RFC3339)
	}
	for attr, w := range map[string]any{
		"id": float64(img.ID), "type": img.Type, "name": name, "description": img.Description,
		"created": img.Created.Format(time.RFC3339), "os_flavor": img.OSFlavor, "os_version": osVersion,
		"architecture": img.Architecture, "rapid_deploy": img.RapidDeploy, "deprecated": deprecated,
	} {
		if a[attr] != w {
			t.Errorf("%s.%s = %#v in the state, the emulator has %#v", addr, attr, a[attr], w)
		}
	}
	if got := stringMap(a["labels"]); !maps.Equal(got, img.Labels) {
		t.Errorf("%s.labels = %v in the state, the emulator has %v", addr, got, img.Labels)
	}
}

func imageMatches(t *testing.T, p *peerRun, addr string, id int64) {
	t.Helper()
	imageAttributesMatch(t, p, addr, p.data(t, addr), id)
}

// Snapshots that the image data source cases look up. Their creation order is neither their
// id order nor its reverse, so a sort the API ignores or inverts shows.
const (
	peerSnapshotMiddle int64 = 5001 // nightly, web, created on the second day
	peerSnapshotDB     int64 = 5002 // nightly, db, the oldest
	peerSnapshotNewest int64 = 5003 // nightly, web, the newest
)

func peerSnapshots(_ *testing.T, emu *emulator.Emulator) {
	base := time.Date(2026, 3, 1, 2, 0, 0, 0, time.UTC)
	for i, s := range []struct {
		id     int64
		day    int
		server int64
		labels map[string]string
	}{
		{peerSnapshotMiddle, 1, emulator.SeedServerNoBackups, map[string]string{"kind": "nightly", "app": "web"}},
		{peerSnapshotDB, 0, emulator.SeedServerBackups, map[string]string{"kind": "nightly", "app": "db"}},
		{peerSnapshotNewest, 2, emulator.SeedServerNoBackups, map[string]string{"kind": "nightly", "app": "web"}},
	} {
		emu.AddImage(emulator.Image{
			ID: s.id, Type: emulator.ImageTypeSnapshot, Description: fmt.Sprintf("nightly %d", i+1),
			DiskSize: 40, OSFlavor: "ubuntu", Architecture: "x86",
			CreatedFrom: &emulator.CreatedFrom{ID: s.server, Name: "seeded"},
			Created:     base.Add(time.Duration(s.day) * 24 * time.Hour), Labels: s.labels,
		})
	}
}

// stringMap converts a map attribute of the JSON state.
func stringMap(v any) map[string]string {
	out := map[string]string{}
	m, _ := v.(map[string]any)
	for k, val := range m {
		s, _ := val.(string)
		out[k] = s
	}
	return out
}
