// Package validate turns a check of one string into a plan-time validator, so that each rule is
// written once, as a plain function, and every validator skips null and unknown values alike.
package validate

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

// Check inspects a value and returns a diagnostic summary and detail when it is wrong, or two
// empty strings when it is fine.
type Check func(value string) (summary, detail string)

// String returns a validator that runs check on every known, non-null value. description says
// what a valid value is, for the documentation.
func String(description string, check Check) validator.String {
	return stringValidator{description: description, check: check}
}

type stringValidator struct {
	description string
	check       Check
}

func (v stringValidator) Description(context.Context) string         { return v.description }
func (v stringValidator) MarkdownDescription(context.Context) string { return v.description }

func (v stringValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if summary, detail := v.check(req.ConfigValue.ValueString()); summary != "" {
		resp.Diagnostics.AddAttributeError(req.Path, summary, detail)
	}
}
