package e2e

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// triggeredServerHCL is an official hcloud_server whose changes of the given events first run
// hetzner_create_image on it (caller: the server that triggered it). extra goes into the
// action's config.
func triggeredServerHCL(serverType, location, event, extra string) string {
	return fmt.Sprintf(`resource "hcloud_server" "s" {
  name        = "app-1"
  server_type = %q
  image       = "ubuntu-24.04"
  location    = %q
  keep_disk   = true

  lifecycle {
    action_trigger {
      events  = [%s]
      actions = [action.hetzner_create_image.before_change]
    }
  }
}

action "hetzner_create_image" "before_change" {
  config {
    server_id   = caller.id
    description = "app-1 before the change"
    labels      = { purpose = "before-change" }
%s
  }
}
`, serverType, location, event, extra)
}

// triggerRun is one server with the action triggered around its changes.
type triggerRun struct {
	t   *testing.T
	w   *workspace
	emu *emulator.Emulator
	log *orderLog
	// admin is the emulator's admin API, as another process (a CI harness) reaches it.
	admin string
}

func newTriggerRun(t *testing.T, opts emulator.Options) *triggerRun {
	t.Helper()
	log := &orderLog{}
	opts.OnResponse = log.observe
	emu, endpoint := emulatortest.Start(t, opts)
	w := newWorkspace(t, endpoint, emulatortest.Token, withPeer())
	skipBelowTerraform(t, w, "1.14.0")
	return &triggerRun{t: t, w: w, emu: emu, log: log, admin: strings.TrimSuffix(endpoint, "/v1") + "/__emulator"}
}

// apply applies hcl and returns its output, the changing requests it sent and its error.
func (r *triggerRun) apply(hcl string) (string, []orderEntry, error) {
	r.t.Helper()
	r.w.write(hcl)
	start := r.log.len()
	out, err := r.w.run("apply", "-auto-approve")
	sent := r.log.since(start)
	return out, sent, err
}

// server is the one server the test created.
func (r *triggerRun) server() emulator.Server {
	r.t.Helper()
	created := slices.DeleteFunc(r.emu.Servers(), func(s emulator.Server) bool { return s.ID <= emulator.SeedServerARM })
	if len(created) != 1 {
		r.t.Fatalf("want exactly one created server, the emulator holds %d", len(created))
	}
	return created[0]
}

// createImageFinished returns when the create_image action of the image ended.
func (r *triggerRun) createImageFinished(imageID int64) time.Time {
	r.t.Helper()
	for _, a := range r.emu.Actions() {
		if a.Command != "create_image" || a.Finished == nil {
			continue
		}
		for _, res := range a.Resources {
			if res.Type == "image" && res.ID == imageID {
				return *a.Finished
			}
		}
	}
	r.t.Fatalf("no finished create_image action of image %d", imageID)
	return time.Time{}
}

// TestAccActionCreateImage_beforeUpdateOfAServerType: an hcloud_server whose server_type
// changes runs the action first. The consistent image is written and the server running again
// before the official provider sends the resize's first request (its poweroff); the image is
// of the server as it was.
func TestAccActionCreateImage_beforeUpdateOfAServerType(t *testing.T) {
	r := newTriggerRun(t, powerTimes)
	consistent := "    shutdown_before_create = true\n    keep_last = 5"
	if out, _, err := r.apply(triggeredServerHCL("cx23", "fsn1", "before_update", consistent)); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	srv := r.server()
	if n := len(r.emu.ImagesOfType("snapshot")); n != 0 {
		t.Fatalf("creating the server ran the before_update action: %d snapshots", n)
	}

	out, sent, err := r.apply(triggeredServerHCL("cx33", "fsn1", "before_update", consistent))
	if err != nil {
		t.Fatalf("resize: %v\n%s", err, out)
	}
	base := fmt.Sprintf("POST /v1/servers/%d/actions/", srv.ID)
	want := []string{base + "shutdown", base + "create_image", base + "poweron", base + "poweroff", base + "change_type"}
	if got := lines(sent); !slices.Equal(got, want) {
		t.Fatalf("the requests of the resize, in order:\n got %v\nwant %v\n%s", got, want, out)
	}
	images := r.emu.ImagesOfType("snapshot")
	if len(images) != 1 || images[0].CreatedFrom == nil || images[0].CreatedFrom.ID != srv.ID || images[0].Status != emulator.ImageStatusAvailable {
		t.Fatalf("want one available snapshot of server %d, the emulator holds %+v", srv.ID, images)
	}
	if finished := r.createImageFinished(images[0].ID); !finished.Before(sent[3].at) {
		t.Errorf("the image was written at %s, after the resize's first request at %s", finished, sent[3].at)
	}
	after := r.server()
	if after.ServerType != "cx33" || after.Status != emulator.ServerStatusRunning {
		t.Errorf("after the apply the server is a %s, %s; want a running cx33", after.ServerType, after.Status)
	}
	if !strings.Contains(oneLine(out), fmt.Sprintf("Image %d is ready.", images[0].ID)) {
		t.Errorf("the CLI did not name the image:\n%s", out)
	}
}

// TestAccActionCreateImage_beforeDestroyOfAReplacement: a new location replaces the server;
// a before_destroy trigger images the old server (caller is the object being destroyed), and
// the image is written before the old server's DELETE.
func TestAccActionCreateImage_beforeDestroyOfAReplacement(t *testing.T) {
	r := newTriggerRun(t, emulator.Options{ActionDuration: time.Second})
	if out, _, err := r.apply(triggeredServerHCL("cx23", "fsn1", "before_destroy", "")); err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	old := r.server()
	out, sent, err := r.apply(triggeredServerHCL("cx23", "nbg1", "before_destroy", ""))
	if err != nil {
		t.Fatalf("replace: %v\n%s", err, out)
	}
	del := fmt.Sprintf("DELETE /v1/servers/%d", old.ID)
	want := []string{fmt.Sprintf("POST /v1/servers/%d/actions/create_image", old.ID), del, "POST /v1/servers"}
	if got := lines(sent); !slices.Equal(got, want) {
		t.Fatalf("the requests of the replacement, in order:\n got %v\nwant %v\n%s", got, want, out)
	}
	images := r.emu.ImagesOfType("snapshot")
	if len(images) != 1 || images[0].CreatedFrom == nil || images[0].CreatedFrom.ID != old.ID {
		t.Fatalf("want one snapshot of the old server %d, the emulator holds %+v", old.ID, images)
	}
	if finished := r.createImageFinished(images[0].ID); !finished.Before(sent[1].at) {
		t.Errorf("the image was written at %s, after the old server's DELETE at %s", finished, sent[1].at)
	}
	if n := r.server(); n.Location != "nbg1" {
		t.Errorf("the new server is in %s, want nbg1", n.Location)
	}
}

// TestAccActionCreateImage_failedCreateLeavesTheServerAlone: a create that fails stops the
// apply before the resize: a refusal injected through the emulator's admin API (the server,
// shut down for the image, is powered on again), and a lock that lasts past the action's
// timeout (the error names what held the server). Either way the server is the cx23 it was,
// running, and the official provider sent nothing.
func TestAccActionCreateImage_failedCreateLeavesTheServerAlone(t *testing.T) {
	tests := []struct {
		name    string
		extra   string
		prepare func(t *testing.T, r *triggerRun, serverID int64)
		want    []string // the changing requests; {server} is the server's id
		say     []string // in the CLI's output; {server} is the server's id, {holder} the holder's
	}{
		{
			name:  "refused by the API",
			extra: "    shutdown_before_create = true",
			prepare: func(t *testing.T, r *triggerRun, _ int64) {
				body := `{"method":"POST","path":"/v1/servers/{id}/actions/create_image","status":403,` +
					`"code":"resource_limit_exceeded","message":"image limit exceeded"}`
				resp, err := http.Post(r.admin+"/faults", "application/json", bytes.NewBufferString(body)) //nolint:noctx // a test's one request
				if err != nil || resp.StatusCode != http.StatusCreated {
					t.Fatalf("adding the fault: %v %v", err, resp)
				}
				_ = resp.Body.Close()
			},
			want: []string{"POST /v1/servers/{server}/actions/shutdown", "POST /v1/servers/{server}/actions/poweron"},
			say: []string{"Error: Error Creating Image", "While creating a snapshot of server {server}, the Hetzner Cloud API answered HTTP 403",
				"image limit exceeded", "Server {server} (app-1) is running again"},
		},
		{
			name:  "a lock past the timeout",
			extra: `    timeout = "3s"`,
			prepare: func(t *testing.T, r *triggerRun, serverID int64) {
				if _, ok := r.emu.BusyServer(serverID, "rebuild_server", time.Hour); !ok {
					t.Fatal("no server to hold")
				}
			},
			say: []string{"Error: Error Creating Image", "server {server} was busy with action {holder} (rebuild_server",
				"The server stayed busy with other actions until the timeout ran out. Try again later, or raise timeout."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newTriggerRun(t, powerTimes)
			if out, _, err := r.apply(triggeredServerHCL("cx23", "fsn1", "before_update", tt.extra)); err != nil {
				t.Fatalf("create: %v\n%s", err, out)
			}
			srv := r.server()
			tt.prepare(t, r, srv.ID)
			out, sent, err := r.apply(triggeredServerHCL("cx33", "fsn1", "before_update", tt.extra))
			if err == nil {
				t.Fatalf("the resize went on after a failed create:\n%s", out)
			}
			holder := int64(0)
			for _, a := range r.emu.Actions() {
				if a.Command == "rebuild_server" {
					holder = a.ID
				}
			}
			ids := strings.NewReplacer("{server}", fmt.Sprint(srv.ID), "{holder}", fmt.Sprint(holder))
			var want []string
			for _, w := range tt.want {
				want = append(want, ids.Replace(w))
			}
			if got := lines(sent); !slices.Equal(got, want) {
				t.Errorf("the changing requests: %v, want %v\n%s", got, want, out)
			}
			for _, s := range tt.say {
				if w := ids.Replace(s); !strings.Contains(oneLine(out), w) {
					t.Errorf("the CLI did not say %q:\n%s", w, out)
				}
			}
			after := r.server()
			if after.ServerType != "cx23" || after.Status != emulator.ServerStatusRunning {
				t.Errorf("the server is a %s, %s; want the running cx23 it was", after.ServerType, after.Status)
			}
			if n := len(r.emu.ImagesOfType("snapshot")); n != 0 {
				t.Errorf("%d snapshots made", n)
			}
		})
	}
}

// TestAccGuide_snapshotBeforeEveryResize runs the guide's configuration as written: six
// resizes, each after a consistent snapshot of the server; after each, the newest five
// snapshots remain (the sixth deletes the first, before the resize begins), and the server
// runs with its new type.
func TestAccGuide_snapshotBeforeEveryResize(t *testing.T) {
	opts := powerTimes
	opts.ActionDuration = 300 * time.Millisecond
	r := newTriggerRun(t, opts)
	withoutSeededWeb(t, r.emu)
	for name, content := range exampleFiles(t, "guides/snapshot-before-resize") {
		r.w.writeFile(name, content)
	}
	run := func(args ...string) (string, []orderEntry) {
		t.Helper()
		start := r.log.len()
		out := r.w.mustRun(append(args, adminKey...)...)
		return out, r.log.since(start)
	}
	run("apply", "-auto-approve")
	srv := r.server()
	var made []int64
	for i, size := range []string{"cx33", "cx23", "cx33", "cx23", "cx33", "cx23"} {
		out, sent := run("apply", "-auto-approve", "-var", "server_type="+size)
		snapshots := labelledSnapshots(r.emu, srv.ID, "purpose", "before-resize")
		if len(snapshots) == 0 || slices.Contains(made, snapshots[len(snapshots)-1].ID) {
			t.Fatalf("resize %d made no snapshot:\n%s", i+1, out)
		}
		made = append(made, snapshots[len(snapshots)-1].ID)
		base := fmt.Sprintf("POST /v1/servers/%d/actions/", srv.ID)
		want := []string{base + "shutdown", base + "create_image", base + "poweron", base + "poweroff", base + "change_type"}
		if i == 5 {
			want = slices.Insert(want, 3, fmt.Sprintf("DELETE /v1/images/%d", made[0]))
		}
		if got := lines(sent); !slices.Equal(got, want) {
			t.Errorf("resize %d sent, in order:\n got %v\nwant %v", i+1, got, want)
		}
		keep := made[max(0, len(made)-5):]
		if got := imageIDs(snapshots); !slices.Equal(got, keep) {
			t.Errorf("after resize %d the snapshots are %v, want %v", i+1, got, keep)
		}
		if s := r.server(); s.ServerType != size || s.Status != emulator.ServerStatusRunning {
			t.Errorf("after resize %d the server is a %s, %s; want a running %s", i+1, s.ServerType, s.Status, size)
		}
		run("plan", "-detailed-exitcode", "-var", "server_type="+size)
	}
	run("destroy", "-auto-approve", "-var", "server_type=cx23")
	if left := labelledSnapshots(r.emu, srv.ID, "purpose", "before-resize"); len(left) != 5 {
		t.Errorf("destroy left %d of the action's snapshots, want the 5 (the action's images are not in the state)", len(left))
	}
}

// actionExamples are the examples with an action, which TestExamples_everyPairingWithHcloudIsRun
// leaves to the tests below: the CLIs without actions refuse them.
var actionExamples = []string{"actions/hetzner_create_image", "guides/snapshot-before-resize"}

// TestAccExample_actionCreateImage runs the action's example page: the server, the on-demand
// snapshot through -invoke, and the snapshot before a change of the server's type.
func TestAccExample_actionCreateImage(t *testing.T) {
	r := newTriggerRun(t, emulator.Options{ActionDuration: 200 * time.Millisecond})
	withoutSeededWeb(t, r.emu)
	example := exampleFiles(t, "actions/hetzner_create_image")["action.tf"]
	r.w.write(example)
	r.w.mustRun("apply", "-auto-approve")
	srv := r.server()
	r.w.mustRun("apply", "-auto-approve", "-invoke=action.hetzner_create_image.now")
	if got := labelledSnapshots(r.emu, srv.ID, "purpose", "on-demand"); len(got) != 1 {
		t.Errorf("the invoke made %d on-demand snapshots, want 1", len(got))
	}
	r.w.write(strings.Replace(example, `server_type = "cx23"`, `server_type = "cx33"`, 1))
	r.w.mustRun("apply", "-auto-approve")
	if got := labelledSnapshots(r.emu, srv.ID, "purpose", "before-resize"); len(got) != 1 {
		t.Errorf("the resize made %d snapshots before it, want 1", len(got))
	}
	if s := r.server(); s.ServerType != "cx33" || s.Status != emulator.ServerStatusRunning {
		t.Errorf("the server is a %s, %s; want a running cx33", s.ServerType, s.Status)
	}
	r.w.mustRun("destroy", "-auto-approve")
}
