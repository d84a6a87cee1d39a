package provider

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
)

const tokenLength = 64

// checkToken returns what is wrong with a token, or "" when it looks like a real one. It never
// repeats the token, which is a secret even when malformed.
func checkToken(token string, fromConfig bool) string {
	source := "the HCLOUD_TOKEN environment variable"
	if fromConfig {
		source = "the provider's token argument"
	}
	if token == "" {
		return "No Hetzner Cloud API token was given. Set the token argument in the provider block " +
			"(for example from a sensitive variable) or export HCLOUD_TOKEN. Create a token in the " +
			"Hetzner Cloud Console under Security → API tokens; managing images needs Read & Write."
	}
	if len(token) != tokenLength || strings.IndexFunc(token, func(r rune) bool { return !isAlnum(r) }) >= 0 {
		return fmt.Sprintf("The token from %s has %d characters and %s; a Hetzner Cloud API token is "+
			"exactly 64 letters and digits. Copy the whole token again (without quotes, spaces or a "+
			"line break) from the Hetzner Cloud Console.", source, len(token), describeChars(token))
	}
	return ""
}

func tokenSummary(token string) string {
	if token == "" {
		return "Missing API Token"
	}
	return "Malformed API Token"
}

func describeChars(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return !isAlnum(r) }) >= 0 {
		return "contains characters other than letters and digits"
	}
	return "only letters and digits"
}

func isAlnum(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// checkEndpoint returns a summary and detail when the endpoint is unusable or would send the
// token in clear text over a network.
func checkEndpoint(endpoint string, fromEnv bool) (string, string) {
	source := "endpoint"
	if fromEnv {
		source = "HCLOUD_ENDPOINT"
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return "Invalid API Endpoint", fmt.Sprintf("The %s %q is not an http(s) URL. Use the API's base "+
			"URL, such as %q, or remove it to use that default.", source, endpoint, "https://api.hetzner.cloud/v1")
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "Insecure API Endpoint", fmt.Sprintf("The %s %q uses plain http to host %q, which would send "+
			"the API token in clear text over the network. Use https://, or http:// only for a loopback "+
			"host (localhost, 127.0.0.0/8, ::1) such as a local API emulator.", source, endpoint, u.Hostname())
	}
	return "", ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// durationHint follows a parseDuration error in a diagnostic.
const durationHint = `. Write a number with a unit, such as "500ms", "2s" or "1m".`

func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a positive duration", s)
	}
	return d, nil
}

// The validators below check values written in the configuration at validate time; values
// from the environment are checked when the provider is configured.

type tokenValidator struct{}

func (tokenValidator) Description(context.Context) string {
	return "must be a 64-character alphanumeric Hetzner Cloud API token"
}
func (v tokenValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (tokenValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	token := req.ConfigValue.ValueString()
	if d := checkToken(token, true); d != "" {
		resp.Diagnostics.AddAttributeError(req.Path, tokenSummary(token), d)
	}
}

type endpointValidator struct{}

func (endpointValidator) Description(context.Context) string {
	return "must be an https URL, or an http URL of a loopback host"
}
func (v endpointValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (endpointValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if summary, detail := checkEndpoint(req.ConfigValue.ValueString(), false); summary != "" {
		resp.Diagnostics.AddAttributeError(req.Path, summary, detail)
	}
}

type durationValidator struct{}

func (durationValidator) Description(context.Context) string {
	return "must be a positive duration such as \"500ms\""
}
func (v durationValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }
func (durationValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseDuration(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Poll Interval", err.Error()+durationHint)
	}
}
