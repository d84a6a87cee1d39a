package image_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/provider"
)

// snapshotState is an hcloud_snapshot's state as the official provider (schema version 0) writes it.
const snapshotState = `{"description":"db before the upgrade","id":"4711","labels":{"env":"prod"},"server_id":102,"timeouts":null}`

// moveState sends a MoveResourceState request to the provider as a CLI does, unconfigured (the
// move needs no API), and returns the response with the target state decoded.
func moveState(t *testing.T, req tfprotov6.MoveResourceStateRequest) (map[string]tftypes.Value, []*tfprotov6.Diagnostic) {
	t.Helper()
	ctx := context.Background()
	server := providerserver.NewProtocol6(provider.New("test")())()
	schemas, err := server.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	req.TargetTypeName = "hetzner_image"
	resp, err := server.MoveResourceState(ctx, &req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.TargetState == nil {
		return nil, resp.Diagnostics
	}
	raw, err := resp.TargetState.Unmarshal(schemas.ResourceSchemas["hetzner_image"].ValueType())
	if err != nil {
		t.Fatal(err)
	}
	var attrs map[string]tftypes.Value
	if err := raw.As(&attrs); err != nil {
		t.Fatal(err)
	}
	return attrs, resp.Diagnostics
}

func snapshotMove(address, typeName string, version int64, state string) tfprotov6.MoveResourceStateRequest {
	return tfprotov6.MoveResourceStateRequest{
		SourceProviderAddress: address,
		SourceTypeName:        typeName,
		SourceSchemaVersion:   version,
		SourceState:           &tfprotov6.RawState{JSON: []byte(state)},
	}
}

func TestMoveState_sourceAddressIsMatchedSegmentBySegment(t *testing.T) {
	for _, tc := range []struct {
		address string
		ok      bool
	}{
		// What Terraform sends, and what OpenTofu has sent.
		{"registry.terraform.io/hetznercloud/hcloud", true},
		{"registry.opentofu.org/hetznercloud/hcloud", true},
		{"hetznercloud/hcloud", true},
		{"hcloud", true},
		// Host names are case-insensitive.
		{"Registry.Terraform.IO/hetznercloud/hcloud", true},
		{"REGISTRY.OPENTOFU.ORG/HetznerCloud/HCloud", true},

		{"", false},
		{"/", false},
		{"hcloud/", false},
		{"/hcloud", false},
		{"//hcloud", false},
		{"registry.terraform.io//hcloud", false},
		{"registry.terraform.io/hetznercloud/hcloud/", false},
		{"registry.terraform.io/hetznercloud/hcloud/extra", false},
		{"x/registry.terraform.io/hetznercloud/hcloud", false},
		{"registry.terraform.io/hashicorp/hcloud", false},
		{"hashicorp/hcloud", false},
		{"registry.terraform.io/nothetznercloud/hcloud", false},
		{"example.com/hetznercloud/hcloud", false},
		{"registry.terraform.io.example.com/hetznercloud/hcloud", false},
		{"registry.terraform.io/hetznercloud/hcloudx", false},
		{"registry.terraform.io/hetznercloud/xhcloud", false},
		{"hcloudx", false},
		// This provider's own address, which OpenTofu 1.12.6 sends for the second and later
		// instances of a resource moved as a whole.
		{"registry.opentofu.org/tf-hetzner/hetzner", true},
		{"registry.terraform.io/tf-hetzner/hetzner", true},
		{"tf-hetzner/hetzner", true},
		{"hetzner", true},
		{"example.com/tf-hetzner/hetzner", false},
		{"registry.opentofu.org/tf-hetzner/hcloud", false},
		{"registry.opentofu.org/hetznercloud/hetzner", false},
		{"registry.opentofu.org/other/hetzner", false},
		{"registry.terraform.io/hetznercloud/hcloud ", false},
	} {
		t.Run(tc.address, func(t *testing.T) {
			state, diags := moveState(t, snapshotMove(tc.address, "hcloud_snapshot", 0, snapshotState))
			if tc.ok {
				if len(diags) != 0 || state == nil {
					t.Fatalf("move from %q refused: %v", tc.address, summaries(diags))
				}
				return
			}
			if state != nil || !hasError(diags, "Unsupported Move Source", `provider "`+tc.address+`"`) {
				t.Fatalf("move from %q: got state %v and diagnostics %v, want the Unsupported Move Source error",
					tc.address, state != nil, summaries(diags))
			}
		})
	}
}

func TestMoveState_mapsTheSnapshotAndLeavesTheRestToRead(t *testing.T) {
	for _, tc := range []struct {
		name, source string
		want         map[string]tftypes.Value
	}{
		{
			name:   "all values",
			source: snapshotState,
			want: map[string]tftypes.Value{
				"id":          tftypes.NewValue(tftypes.String, "4711"),
				"server_id":   tftypes.NewValue(tftypes.Number, 102),
				"description": tftypes.NewValue(tftypes.String, "db before the upgrade"),
				"labels": tftypes.NewValue(tftypes.Map{ElementType: tftypes.String},
					map[string]tftypes.Value{"env": tftypes.NewValue(tftypes.String, "prod")}),
			},
		},
		{
			name:   "no labels, a create timeout",
			source: `{"description":"","id":"9","labels":null,"server_id":101,"timeouts":{"create":"2h"}}`,
			want: map[string]tftypes.Value{
				"id":          tftypes.NewValue(tftypes.String, "9"),
				"server_id":   tftypes.NewValue(tftypes.Number, 101),
				"description": tftypes.NewValue(tftypes.String, ""),
				"labels":      tftypes.NewValue(tftypes.Map{ElementType: tftypes.String}, map[string]tftypes.Value{}),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, diags := moveState(t, snapshotMove("registry.terraform.io/hetznercloud/hcloud", "hcloud_snapshot", 0, tc.source))
			if len(diags) != 0 {
				t.Fatalf("move refused: %v", summaries(diags))
			}
			for name, want := range tc.want {
				if !state[name].Equal(want) {
					t.Errorf("%s = %v, want %v", name, state[name], want)
				}
			}
			// Everything the API knows beyond hcloud_snapshot is left for the Read that follows.
			for _, name := range []string{"type", "delete_protection", "status", "image_size", "disk_size", "created",
				"created_from", "bound_to", "os_flavor", "os_version", "architecture", "rapid_deploy", "deprecated", "deprecation"} {
				if !state[name].IsNull() {
					t.Errorf("%s = %v, want null until the Read", name, state[name])
				}
			}
		})
	}
}

func TestMoveState_keepsTheCreateTimeout(t *testing.T) {
	state, diags := moveState(t, snapshotMove("hcloud", "hcloud_snapshot", 0,
		`{"description":"x","id":"9","labels":{},"server_id":101,"timeouts":{"create":"2h"}}`))
	if len(diags) != 0 {
		t.Fatalf("move refused: %v", summaries(diags))
	}
	var timeouts map[string]tftypes.Value
	if err := state["timeouts"].As(&timeouts); err != nil {
		t.Fatal(err)
	}
	var create string
	if err := timeouts["create"].As(&create); err != nil || create != "2h" || !timeouts["update"].IsNull() || !timeouts["delete"].IsNull() {
		t.Errorf("timeouts = %v, want create 2h and nothing else", state["timeouts"])
	}
}

func TestMoveState_refusesWhatItCannotMap(t *testing.T) {
	const official = "registry.terraform.io/hetznercloud/hcloud"
	for _, tc := range []struct {
		name                 string
		req                  tfprotov6.MoveResourceStateRequest
		summary, detailWords string
	}{
		{"another type of the official provider", snapshotMove(official, "hcloud_server", 0, snapshotState),
			"Unsupported Move Source", "source is a hcloud_server of provider"},
		{"another type, named with this provider's address", snapshotMove("registry.opentofu.org/tf-hetzner/hetzner", "hcloud_server", 0, snapshotState),
			"Unsupported Move Source", "source is a hcloud_server of provider"},
		{"another provider's snapshot", snapshotMove("registry.terraform.io/example/hcloud", "hcloud_snapshot", 0, snapshotState),
			"Unsupported Move Source", "hetzner_image takes over the state of hcloud_snapshot resources (schema version 0)"},
		{"a newer schema", snapshotMove(official, "hcloud_snapshot", 1, snapshotState),
			"Unsupported hcloud_snapshot Schema Version", "(schema version 1)"},
		{"a state of another shape", snapshotMove(official, "hcloud_snapshot", 0, `{"id":"9","server_id":"web","labels":[]}`),
			"Unreadable hcloud_snapshot State", "does not have the shape of hcloud_snapshot schema version 0"},
		{"an id that is no image ID", snapshotMove(official, "hcloud_snapshot", 0, `{"id":"snap-9","server_id":101}`),
			"Unreadable hcloud_snapshot State", `Its id "snap-9" is not an image ID.`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, diags := moveState(t, tc.req)
			if state != nil || !hasError(diags, tc.summary, tc.detailWords) {
				t.Fatalf("got state %v and diagnostics %v, want error %q with %q", state != nil, summaries(diags), tc.summary, tc.detailWords)
			}
		})
	}
}

func hasError(diags []*tfprotov6.Diagnostic, summary, inDetail string) bool {
	for _, d := range diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError && d.Summary == summary && strings.Contains(d.Detail, inDetail) {
			return true
		}
	}
	return false
}

func summaries(diags []*tfprotov6.Diagnostic) []string {
	var out []string
	for _, d := range diags {
		out = append(out, d.Summary+": "+d.Detail)
	}
	return out
}
