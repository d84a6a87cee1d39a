// Package diags builds the provider's diagnostics in one voice: a short summary in Title Case,
// then a detail that says what happened, what the API said, and what to do next.
package diags

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// Detail joins what happened and what to do next into one diagnostic detail.
func Detail(happened, next string) string {
	if next == "" {
		return happened
	}
	return happened + "\n\n" + next
}

// APIError describes a failed API call: what we tried, the API's code and message (or the
// transport failure), and the next step for the user. A failure of the environment (the token,
// the network path to the API, the API's availability) gets its own summary, cause and fix,
// followed by next.
func APIError(summary, doing string, err error, next string) diag.Diagnostic {
	if envSummary, detail, ok := environment(doing, err); ok {
		return diag.NewErrorDiagnostic(envSummary, Detail(detail, next))
	}
	return diag.NewErrorDiagnostic(summary, Detail(describe(doing, err), next))
}

// AttributeAPIError is APIError attached to the attribute the failure concerns. A failure of
// the environment is attached to no attribute: no value in the resource would mend it.
func AttributeAPIError(p path.Path, summary, doing string, err error, next string) diag.Diagnostic {
	if envSummary, detail, ok := environment(doing, err); ok {
		return diag.NewErrorDiagnostic(envSummary, Detail(detail, next))
	}
	return diag.NewAttributeErrorDiagnostic(p, summary, Detail(describe(doing, err), next))
}

func describe(doing string, err error) string {
	var apiErr *hcloud.APIError
	var actionErr *hcloud.ActionError
	var busyErr *hcloud.ServerBusyError
	switch {
	case hcloud.IsOutcomeUnknown(err):
		// Whatever else went wrong, that the request may have been done matters most.
		return fmt.Sprintf("While %s, no usable answer came back, so the request may or may not have "+
			"been done: %v", doing, err)
	case errors.As(err, &busyErr):
		// What held the server matters more than the API's bare "locked".
		return fmt.Sprintf("While %s, %v", doing, err)
	case errors.As(err, &apiErr):
		var b strings.Builder
		fmt.Fprintf(&b, "While %s, the Hetzner Cloud API answered HTTP %d with error code %q: %s",
			doing, apiErr.StatusCode, apiErr.Code, apiErr.Message)
		for _, f := range apiErr.Fields {
			fmt.Fprintf(&b, "\n  - %s: %s", f.Name, strings.Join(f.Messages, "; "))
		}
		if apiErr.CorrelationID != "" {
			fmt.Fprintf(&b, "\n(correlation id %s, for Hetzner support)", apiErr.CorrelationID)
		}
		return b.String()
	case errors.As(err, &actionErr):
		return fmt.Sprintf("While %s, action %d (%s) ended in error %q: %s",
			doing, actionErr.ActionID, actionErr.Command, actionErr.Code, actionErr.Message)
	default:
		return fmt.Sprintf("While %s: %v", doing, err)
	}
}
