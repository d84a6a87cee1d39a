package e2e

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// The hetzner_create_image action, run by a real CLI: apply -invoke, and action_trigger on the
// official provider's hcloud_server. Actions need Terraform 1.14 or newer; each test skips
// below it (Terraform 1.16.0 of the matrix runs them all).

const invokeNightly = "-invoke=action.hetzner_create_image.nightly"

// nightlyActionHCL is an action that takes a consistent snapshot of web-1 and keeps the last two.
const nightlyActionHCL = `
action "hetzner_create_image" "nightly" {
  config {
    server_id              = 101
    description            = "web-1 nightly"
    labels                 = { rotation = "nightly" }
    shutdown_before_create = true
    keep_last              = 2
  }
}
`

// labelledSnapshots returns the snapshots of a server that carry the label, oldest first.
func labelledSnapshots(emu *emulator.Emulator, serverID int64, key, value string) []emulator.Image {
	var out []emulator.Image
	for _, img := range emu.ImagesOfType("snapshot") {
		if img.CreatedFrom != nil && img.CreatedFrom.ID == serverID && img.Labels[key] == value {
			out = append(out, img)
		}
	}
	slices.SortFunc(out, func(a, b emulator.Image) int { return int(a.ID - b.ID) })
	return out
}

// TestAccActionCreateImage_invokeThreeTimesKeepsTheLastTwo invokes the action three times with
// keep_last = 2: the two newest images with the labels remain, the oldest is deleted, an older
// protected one with the same labels stays (a warning names it), and so does an image of
// another server with the same labels. Each run says what it did, and names its image.
func TestAccActionCreateImage_invokeThreeTimesKeepsTheLastTwo(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, powerTimes)
	w := newWorkspace(t, endpoint, emulatortest.Token)
	skipBelowTerraform(t, w, "1.14.0")
	labels := map[string]string{"rotation": "nightly"}
	protected := emu.AddImage(emulator.Image{Description: "web-1, kept for the audit", DiskSize: 40, OSFlavor: "ubuntu",
		Status: emulator.ImageStatusAvailable, Created: time.Now().Add(-2 * time.Hour), Protection: emulator.Protection{Delete: true},
		CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}, Labels: labels})
	otherServer := emu.AddImage(emulator.Image{Description: "db-1 nightly", DiskSize: 40, OSFlavor: "ubuntu",
		Status: emulator.ImageStatusAvailable, Created: time.Now().Add(-3 * time.Hour),
		CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerBackups, Name: "db-1"}, Labels: labels})
	w.write(nightlyActionHCL)

	var made []int64
	for run := 1; run <= 3; run++ {
		out, err := w.run("apply", "-auto-approve", invokeNightly)
		if err != nil {
			t.Fatalf("invoke %d: %v\n%s", run, err, out)
		}
		all := labelledSnapshots(emu, emulator.SeedServerNoBackups, "rotation", "nightly")
		newest := all[len(all)-1]
		if slices.Contains(made, newest.ID) || newest.ID == protected.ID {
			t.Fatalf("invoke %d made no new snapshot: %v", run, imageIDs(all))
		}
		made = append(made, newest.ID)
		flat := oneLine(out)
		id := strconv.FormatInt(newest.ID, 10)
		for _, want := range []string{
			"Shutting down server 101 (web-1) for a consistent image",
			"Image " + id + " exists (a snapshot of server 101); it is being written",
			"Image " + id + " is written",
			"Server 101 (web-1) is running again",
			"Image " + id + " is ready. To manage it with Terraform, import it: terraform import hetzner_image.NAME " + id,
		} {
			if !strings.Contains(flat, want) {
				t.Errorf("invoke %d: the CLI did not print %q:\n%s", run, want, out)
			}
		}
		protectedWarning := fmt.Sprintf("Image %d is older than the 2 kept by keep_last but has delete protection", protected.ID)
		if got := strings.Contains(flat, protectedWarning); got != (run > 1) {
			t.Errorf("invoke %d: warned about the protected image: %t, want %t:\n%s", run, got, run > 1, out)
		}
		if run == 3 {
			if want := fmt.Sprintf("keep_last: deleted image %d", made[0]); !strings.Contains(flat, want) {
				t.Errorf("invoke 3 did not say %q:\n%s", want, out)
			}
			t.Logf("what the CLI printed during the third invoke:\n%s", out)
		}
		wantServer(t, emu, emulator.SeedServerNoBackups, emulator.ServerStatusRunning, slices.Repeat(consistentHistory, run))
	}

	got := imageIDs(labelledSnapshots(emu, emulator.SeedServerNoBackups, "rotation", "nightly"))
	if want := []int64{protected.ID, made[1], made[2]}; !slices.Equal(got, want) {
		t.Errorf("snapshots of web-1 labelled rotation=nightly: %v, want the protected %d and the two newest %v", got, protected.ID, made[1:])
	}
	if _, ok := emu.Image(otherServer.ID); !ok {
		t.Errorf("the snapshot %d of another server with the same labels was deleted", otherServer.ID)
	}
	if n := emu.RequestCount("DELETE", "/v1/images/{id}"); n != 1 {
		t.Errorf("%d DELETE requests, want 1 (the oldest of the action's images)", n)
	}
}

// TestAccActionCreateImage_badInputsAreRefusedBeforeAnyChange: each mistake is a diagnostic on
// its attribute that says how to fix it. Those in the configuration alone are found before any
// request; an unknown server at plan time, by one read, before anything is changed.
func TestAccActionCreateImage_badInputsAreRefusedBeforeAnyChange(t *testing.T) {
	tests := []struct {
		name   string
		vars   string // top-level variable blocks the config refers to
		config string
		want   []string
		reads  map[string]int // the only requests allowed
	}{
		{
			name:   "keep_last without labels",
			config: "server_id = 101\n    keep_last = 3",
			want: []string{"Error: Keep Last Needs Labels", "keep_last = 3",
				"Add labels that mark this action's images, such as labels = { rotation = \"before-resize\" }, or remove keep_last."},
		},
		{
			name:   "keep_last below 1",
			config: "server_id = 101\n    labels = { rotation = \"nightly\" }\n    keep_last = 0",
			want: []string{"Error: Invalid Keep Last", "keep_last = 0",
				"Set keep_last to 1 or more (the new image counts as one), or remove it to delete nothing."},
		},
		{
			// Variables are unknown when Terraform validates an action: the plan checks again.
			name:   "keep_last with labels from a variable that is empty",
			vars:   "variable \"labels\" {\n  type    = map(string)\n  default = {}\n}\n",
			config: "server_id = 101\n    labels = var.labels\n    keep_last = 3",
			want:   []string{"Error: Keep Last Needs Labels", "or remove keep_last."},
		},
		{
			name:   "keep_last from a variable below 1",
			vars:   "variable \"keep\" {\n  type    = number\n  default = 0\n}\n",
			config: "server_id = 101\n    labels = { rotation = \"nightly\" }\n    keep_last = var.keep",
			want:   []string{"Error: Invalid Keep Last", "keep_last = 0 would keep no image"},
		},
		{
			name:   "an invalid label key",
			config: "server_id = 101\n    labels = { \"-nightly\" = \"yes\" }",
			want: []string{"Error: Invalid Label Key", "labels = { \"-nightly\" = \"yes\" }",
				"Rename the label so that it follows the Hetzner Cloud label rules."},
		},
		{
			name:   "a shutdown timeout without the shutdown",
			config: "server_id = 101\n    shutdown_timeout = \"5m\"",
			want:   []string{"Error: Shutdown Timeout Without Shutdown", "Set shutdown_before_create = true, or remove shutdown_timeout."},
		},
		{
			name:   "a timeout that is no duration",
			config: "server_id = 101\n    timeout = \"soon\"",
			want:   []string{"Error: Invalid Timeout", `"soon" is not a positive duration. Write a number and a unit, such as "3m"`},
		},
		{
			name:   "a type the API does not make",
			config: "server_id = 101\n    type = \"system\"",
			want:   []string{"Error: Invalid Attribute Value Match", `type = "system"`, `value must be one of: ["snapshot" "backup"]`},
		},
		{
			name:   "an unknown server",
			config: "server_id = 999",
			want: []string{"Error: Server Not Found",
				"No server with id 999 exists in the project of this token", "Check server_id"},
			reads: map[string]int{"GET /v1/servers/{id}": 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, endpoint := emulatortest.Start(t, emulator.Options{})
			w := newWorkspace(t, endpoint, emulatortest.Token)
			skipBelowTerraform(t, w, "1.14.0")
			w.write(tt.vars + "action \"hetzner_create_image\" \"nightly\" {\n  config {\n    " + tt.config + "\n  }\n}\n")
			out, err := w.run("apply", "-auto-approve", invokeNightly)
			if err == nil {
				t.Fatalf("the invoke succeeded:\n%s", out)
			}
			for _, want := range tt.want {
				if !strings.Contains(oneLine(out), want) {
					t.Errorf("the CLI did not say %q:\n%s", want, out)
				}
			}
			if got := emu.Requests(); !maps.Equal(got, tt.reads) {
				t.Errorf("requests %v, want %v", got, tt.reads)
			}
		})
	}
}

// TestAccActionCreateImage_interruptedInvoke presses Ctrl-C while the image is written: the
// server, shut down for it, ends running, and the CLI has named the image.
func TestAccActionCreateImage_interruptedInvoke(t *testing.T) {
	emu, w, copying := copyingWorkspace(t)
	skipBelowTerraform(t, w, "1.14.0")
	w.write(nightlyActionHCL)

	// Half a second after the create's answer the CLI has printed the image's id, as a user
	// would have seen it.
	out, err := w.interruptOnce(copying, 500*time.Millisecond, "apply", "-auto-approve", invokeNightly)
	// Terraform 1.16 ends an interrupted invoke with "Apply complete!" and exit status 0,
	// dropping the action's error, so only its own words show that the interrupt came.
	if !strings.Contains(out.String(), "Interrupt received") {
		t.Fatalf("the CLI did not take the interrupt (%v):\n%s", err, out)
	}
	t.Logf("the CLI after Ctrl-C (%v):\n%s", err, out.String())
	wantServer(t, emu, emulator.SeedServerNoBackups, emulator.ServerStatusRunning, consistentHistory)
	snapshots := emu.ImagesOfType("snapshot")
	if len(snapshots) != 1 {
		t.Fatalf("the API holds %d snapshots, want the one the invoke made", len(snapshots))
	}
	if want := fmt.Sprintf("Image %d exists (a snapshot of server 101)", snapshots[0].ID); !strings.Contains(oneLine(out.String()), want) {
		t.Errorf("the CLI did not name the image (%q):\n%s", want, out.String())
	}
}

// TestAccActionCreateImage_requests counts what one invoke costs, without and with a rotation
// that deletes two images, against a hetzner_image create of the same image. Actions end on
// the first read after their start, so the counts do not depend on timing.
func TestAccActionCreateImage_requests(t *testing.T) {
	const create = "POST /v1/servers/{id}/actions/create_image"
	tests := []struct {
		name  string
		hcl   string
		args  []string
		older int // images with the labels made before
		want  map[string]int
	}{
		{
			name: "hetzner_image create",
			hcl:  "resource \"hetzner_image\" \"x\" {\n  server_id = 101\n  labels = { rotation = \"nightly\" }\n}\n",
			args: []string{"apply", "-auto-approve"},
			want: map[string]int{create: 1, "GET /v1/actions": 1, "GET /v1/images/{id}": 1},
		},
		{
			name: "invoke",
			hcl:  "action \"hetzner_create_image\" \"nightly\" {\n  config {\n    server_id = 101\n    labels = { rotation = \"nightly\" }\n  }\n}\n",
			args: []string{"apply", "-auto-approve", invokeNightly},
			want: map[string]int{"GET /v1/servers/{id}": 1, create: 1, "GET /v1/actions": 1},
		},
		{
			name:  "invoke with keep_last = 1, two older images",
			hcl:   "action \"hetzner_create_image\" \"nightly\" {\n  config {\n    server_id = 101\n    labels = { rotation = \"nightly\" }\n    keep_last = 1\n  }\n}\n",
			args:  []string{"apply", "-auto-approve", invokeNightly},
			older: 2,
			want:  map[string]int{"GET /v1/servers/{id}": 1, create: 1, "GET /v1/actions": 1, "GET /v1/images": 1, "DELETE /v1/images/{id}": 2},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, endpoint := emulatortest.Start(t, emulator.Options{})
			w := newWorkspace(t, endpoint, emulatortest.Token)
			if strings.Contains(tt.hcl, "action ") {
				skipBelowTerraform(t, w, "1.14.0")
			}
			for i := range tt.older {
				emu.AddImage(emulator.Image{Status: emulator.ImageStatusAvailable, DiskSize: 40, OSFlavor: "ubuntu",
					Created: time.Now().Add(-time.Duration(i+1) * time.Hour), Labels: map[string]string{"rotation": "nightly"},
					CreatedFrom: &emulator.CreatedFrom{ID: emulator.SeedServerNoBackups, Name: "web-1"}})
			}
			w.write(tt.hcl)
			out, err := w.run(tt.args...)
			if err != nil {
				t.Fatalf("%v: %v\n%s", tt.args, err, out)
			}
			got := emu.Requests()
			if !maps.Equal(got, tt.want) {
				t.Errorf("requests %v, want %v", got, tt.want)
			}
			t.Logf("%s: %d requests: %v", tt.name, emu.TotalRequests(), got)
		})
	}
}

// TestAccActionCreateImage_lostAnswerMakesOneImage: the create's answer is lost after the API
// made the image; the action, on the resource's create path, finds and adopts that image instead
// of making a second, and names it.
func TestAccActionCreateImage_lostAnswerMakesOneImage(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 200 * time.Millisecond})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	skipBelowTerraform(t, w, "1.14.0")
	emu.FailNext(emulator.Fault{Method: "POST", Path: createRoute, When: emulator.FaultAfter, Drop: emulator.DropAfterProcessing})
	w.write("action \"hetzner_create_image\" \"nightly\" {\n  config {\n    server_id = 101\n    labels = { rotation = \"nightly\" }\n  }\n}\n")
	out, err := w.run("apply", "-auto-approve", invokeNightly)
	if err != nil {
		t.Fatalf("invoke: %v\n%s", err, out)
	}
	snapshots := emu.ImagesOfType("snapshot")
	if len(snapshots) != 1 {
		t.Fatalf("the API holds %d snapshots, want the one the lost request made", len(snapshots))
	}
	if want := fmt.Sprintf("Image %d is ready.", snapshots[0].ID); !strings.Contains(oneLine(out), want) {
		t.Errorf("the CLI did not name the adopted image (%q):\n%s", want, out)
	}
	if n := emu.RequestCount("POST", createRoute); n != 1 {
		t.Errorf("%d create requests, want 1", n)
	}
}
