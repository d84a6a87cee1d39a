package provider

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/validate"
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

// The validators check values written in the configuration at validate time; values from the
// environment are checked when the provider is configured.
var (
	tokenValidator = validate.String("must be a 64-character alphanumeric Hetzner Cloud API token",
		func(token string) (string, string) {
			if d := checkToken(token, true); d != "" {
				return tokenSummary(token), d
			}
			return "", ""
		})
	endpointValidator = validate.String("must be an https URL, or an http URL of a loopback host",
		func(endpoint string) (string, string) { return checkEndpoint(endpoint, false) })
	durationValidator = validate.String(`must be a positive duration such as "500ms"`,
		func(s string) (string, string) {
			if _, err := parseDuration(s); err != nil {
				return "Invalid Poll Interval", err.Error() + durationHint
			}
			return "", ""
		})
)
