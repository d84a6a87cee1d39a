package image

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/labels"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/validate"
)

// labelsValidator applies the API's label rules at plan time and names the offending key.
type labelsValidator struct{}

var _ validator.Map = labelsValidator{}

func (labelsValidator) Description(context.Context) string {
	return "keys are an optional DNS-subdomain prefix and a name of 1-63 letters, digits, '-', '_' or '.', " +
		"beginning and ending with a letter or digit; values are empty or follow the name rule"
}

func (v labelsValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (labelsValidator) ValidateMap(ctx context.Context, req validator.MapRequest, resp *validator.MapResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	for key, value := range req.ConfigValue.Elements() {
		p := req.Path.AtMapKey(key)
		if err := labels.CheckKey(key); err != nil {
			resp.Diagnostics.AddAttributeError(p, "Invalid Label Key", err.Error()+
				". Rename the label so that it follows the Hetzner Cloud label rules.")
			continue
		}
		s, ok := value.(types.String)
		if !ok || s.IsNull() || s.IsUnknown() {
			continue
		}
		if err := labels.CheckValue(key, s.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(p, "Invalid Label Value", err.Error()+
				". Change the value, or use an empty string.")
		}
	}
}

// selectorValidator parses a label selector at plan time with the API's grammar and says where
// it went wrong.
var selectorValidator = validate.String("a label selector such as `env=prod,role in (db,cache),!legacy`",
	func(selector string) (string, string) {
		_, err := labels.Parse(selector)
		if err == nil {
			return "", ""
		}
		detail := err.Error()
		var syn *labels.SyntaxError
		if errors.As(err, &syn) {
			detail += ". A selector is a comma-separated list of k=v, k==v, k!=v, k, !k, " +
				"k in (v1,v2) and k notin (v1,v2); every term must hold."
		}
		return "Invalid Label Selector", detail
	})

// imageIDValidator checks that a string is an image id: a positive whole number.
var imageIDValidator = validate.String("a positive whole number such as `\"12345\"`",
	func(s string) (string, string) {
		if _, ok := parseImageID(s); ok {
			return "", ""
		}
		return "Invalid Image ID", fmt.Sprintf("%q is not an image id: image ids are positive whole numbers such as \"12345\". "+
			"Use the id attribute of another image, or look the image up by name or label_selector instead.", s)
	})
