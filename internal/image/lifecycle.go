package image

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/diags"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/validate"
)

// defaultShutdownTimeout is how long an operating system may take to shut down: most Linux
// servers are off within half a minute; the rest is room for slow services.
const defaultShutdownTimeout = "3m"

// lifecycleSettings are the resource's settings that the API never sees: how an image is
// created (shutdown_before_create and its two companions) and whether destroy deletes it
// (skip_destroy). Changing them plans an in-place update that sends no request.
type lifecycleSettings struct {
	ShutdownBeforeCreate      types.Bool   `tfsdk:"shutdown_before_create"`
	ShutdownTimeout           types.String `tfsdk:"shutdown_timeout"`
	PoweroffOnShutdownTimeout types.Bool   `tfsdk:"poweroff_on_shutdown_timeout"`
	SkipDestroy               types.Bool   `tfsdk:"skip_destroy"`
}

// defaultLifecycleSettings are the settings an imported image gets: those of a configuration
// that does not mention them, so that the plan after an import is empty.
func defaultLifecycleSettings() lifecycleSettings {
	return lifecycleSettings{
		ShutdownBeforeCreate:      types.BoolValue(false),
		ShutdownTimeout:           types.StringValue(defaultShutdownTimeout),
		PoweroffOnShutdownTimeout: types.BoolValue(false),
		SkipDestroy:               types.BoolValue(false),
	}
}

// withDefaults fills the settings a state written by an earlier version of the provider
// lacks, so that upgrading plans no change.
func (s lifecycleSettings) withDefaults() lifecycleSettings {
	d := defaultLifecycleSettings()
	if s.ShutdownBeforeCreate.IsNull() {
		s.ShutdownBeforeCreate = d.ShutdownBeforeCreate
	}
	if s.ShutdownTimeout.IsNull() {
		s.ShutdownTimeout = d.ShutdownTimeout
	}
	if s.PoweroffOnShutdownTimeout.IsNull() {
		s.PoweroffOnShutdownTimeout = d.PoweroffOnShutdownTimeout
	}
	if s.SkipDestroy.IsNull() {
		s.SkipDestroy = d.SkipDestroy
	}
	return s
}

var shutdownTimeoutValidator = positiveDuration("Invalid Shutdown Timeout")

// positiveDuration checks that a string is a positive Go duration; summary heads the error.
func positiveDuration(summary string) validator.String {
	return validate.String(`must be a positive duration such as "3m" or "90s"`,
		func(s string) (string, string) {
			if d, err := time.ParseDuration(s); err != nil || d <= 0 {
				return summary, fmt.Sprintf("%q is not a positive duration. Write a number and a unit, "+
					"such as \"3m\", \"90s\" or \"1m30s\" (units: s, m, h).", s)
			}
			return "", ""
		})
}

func lifecycleAttributes() map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"shutdown_before_create": schema.BoolAttribute{
			MarkdownDescription: descShutdownBeforeCreate + " Only read " +
				"when the image is created: changing it later changes nothing in Hetzner Cloud and replaces " +
				"nothing. Default `false`.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
		"shutdown_timeout": schema.StringAttribute{
			MarkdownDescription: descShutdownTimeout,
			Optional:            true,
			Computed:            true,
			Default:             stringdefault.StaticString(defaultShutdownTimeout),
			Validators:          []validator.String{shutdownTimeoutValidator},
		},
		"poweroff_on_shutdown_timeout": schema.BoolAttribute{
			MarkdownDescription: descPoweroffOnShutdownTimeout,
			Optional:            true,
			Computed:            true,
			Default:             booldefault.StaticBool(false),
		},
		"skip_destroy": schema.BoolAttribute{
			MarkdownDescription: "Keep the image in Hetzner Cloud when the resource is destroyed or replaced (for " +
				"example when `server_id` changes): it is only removed from the Terraform state, with a warning that " +
				"names its id and how to import it again. `delete_protection` keeps its meaning: a protected image " +
				"stays protected. A backup is still deleted with its server. Destroy and replacement use the value in " +
				"the state, so set it and apply before the change that removes or replaces the resource. Default `false`.",
			Optional: true,
			Computed: true,
			Default:  booldefault.StaticBool(false),
		},
	}
}

// validateLifecycle rejects the shutdown companions without shutdown_before_create, where
// they would silently do nothing.
func validateLifecycle(ctx context.Context, get func(context.Context, path.Path, any) diag.Diagnostics, diagnostics *diag.Diagnostics) {
	var shutdown, poweroff types.Bool
	var timeout types.String
	diagnostics.Append(get(ctx, path.Root("shutdown_before_create"), &shutdown)...)
	diagnostics.Append(get(ctx, path.Root("poweroff_on_shutdown_timeout"), &poweroff)...)
	diagnostics.Append(get(ctx, path.Root("shutdown_timeout"), &timeout)...)
	if shutdown.IsUnknown() || shutdown.ValueBool() {
		return
	}
	if poweroff.ValueBool() {
		diagnostics.AddAttributeError(path.Root("poweroff_on_shutdown_timeout"), "Power-Off Without Shutdown",
			"poweroff_on_shutdown_timeout only applies when the server is shut down for the image. "+
				"Set shutdown_before_create = true, or remove poweroff_on_shutdown_timeout.")
	}
	if !timeout.IsNull() {
		diagnostics.AddAttributeError(path.Root("shutdown_timeout"), "Shutdown Timeout Without Shutdown",
			"shutdown_timeout only applies when the server is shut down for the image. "+
				"Set shutdown_before_create = true, or remove shutdown_timeout.")
	}
}

// shutdownOpts translates the settings for the client. The timeout was validated at plan time.
func (s lifecycleSettings) shutdownOpts() hcloud.ShutdownOpts {
	timeout, _ := time.ParseDuration(s.ShutdownTimeout.ValueString())
	return hcloud.ShutdownOpts{
		Enabled:  s.ShutdownBeforeCreate.ValueBool(),
		Timeout:  timeout,
		PowerOff: s.PoweroffOnShutdownTimeout.ValueBool(),
	}
}

// powerDiagnostic describes the failures that concern the server rather than the image; ok is
// false for any other error. A server left off comes first, whatever else went wrong.
func powerDiagnostic(err error, made *hcloud.Image) (diag.Diagnostic, bool) {
	var off *hcloud.PowerOnError
	if errors.As(err, &off) {
		next := fmt.Sprintf("Power it on now, for example with: hcloud server poweron %d", off.ServerID)
		if made != nil {
			next += "\n\n" + taintedDetail(made.ID)
		}
		return diag.NewAttributeErrorDiagnostic(path.Root("server_id"), "Server Left Powered Off", diags.Detail(
			fmt.Sprintf("Server %d (%s) is OFF. It was shut down for a consistent image (shutdown_before_create), "+
				"and powering it on again failed: %v", off.ServerID, off.ServerName, off.Err)+afterPowerOn(off),
			next)), true
	}
	var timedOut *hcloud.ShutdownTimeoutError
	if errors.As(err, &timedOut) {
		return diag.NewAttributeErrorDiagnostic(path.Root("shutdown_timeout"), "Server Did Not Shut Down", diags.Detail(
			fmt.Sprintf("Server %d (%s) was still %s %s after the graceful shutdown request, so no image was created "+
				"and the server was left running.", timedOut.ServerID, timedOut.ServerName, timedOut.Status, timedOut.Timeout),
			"Its operating system may ignore ACPI shutdown requests (install acpid, or check its power button "+
				"settings), or need longer: raise shutdown_timeout. To cut the power instead, set "+
				"poweroff_on_shutdown_timeout = true (unflushed writes are lost).")), true
	}
	return nil, false
}

func afterPowerOn(off *hcloud.PowerOnError) string {
	if off.Cause == nil {
		return "\n\nThe image itself was written."
	}
	return fmt.Sprintf("\n\nBefore that, the image step had failed: %v", off.Cause)
}

func taintedDetail(id int64) string {
	return fmt.Sprintf("Image %d is kept in the Terraform state and marked tainted: the next terraform apply "+
		"deletes it and creates a new one (or run terraform untaint if it turns out usable).", id)
}
