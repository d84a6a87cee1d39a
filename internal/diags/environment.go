package diags

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"html"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// Setup says where the provider's token and endpoint came from, so that a diagnostic about the
// environment can name the setting to change. It never holds the token.
type Setup struct {
	TokenFromConfig    bool // the provider block's token argument; otherwise HCLOUD_TOKEN
	Endpoint           string
	EndpointFromConfig bool // the provider block's endpoint argument
	EndpointFromEnv    bool // HCLOUD_ENDPOINT
}

// Annotate attaches the setup to an error of the API client (see hcloud.Options.Annotate).
func (s Setup) Annotate(err error) error { return &setupError{err: err, setup: s} }

type setupError struct {
	err   error
	setup Setup
}

func (e *setupError) Error() string { return e.err.Error() }
func (e *setupError) Unwrap() error { return e.err }

func (s Setup) tokenFrom() string {
	if s.TokenFromConfig {
		return "the provider's token argument"
	}
	return "the HCLOUD_TOKEN environment variable"
}

func (s Setup) tokenSetting() string {
	if s.TokenFromConfig {
		return "the provider's token argument (or remove it and export HCLOUD_TOKEN)"
	}
	return "HCLOUD_TOKEN (or the provider's token argument)"
}

func (s Setup) nonDefault() bool {
	return s.Endpoint != "" && strings.TrimRight(s.Endpoint, "/") != hcloud.DefaultEndpoint
}

// endpoint names the endpoint and where it came from, marking one that is not the real API.
func (s Setup) endpoint() string {
	switch {
	case !s.nonDefault():
		return "the Hetzner Cloud API (" + hcloud.DefaultEndpoint + ")"
	case s.EndpointFromConfig:
		return s.Endpoint + " (a non-default endpoint, from the provider's endpoint argument)"
	case s.EndpointFromEnv:
		return s.Endpoint + " (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable)"
	}
	return s.Endpoint + " (a non-default endpoint)"
}

// useRealAPI says how to go back to the real API, for a non-default endpoint.
func (s Setup) useRealAPI() string {
	switch {
	case !s.nonDefault():
		return ""
	case s.EndpointFromConfig:
		return " To use the real Hetzner Cloud API, remove the endpoint argument (and leave HCLOUD_ENDPOINT unset)."
	case s.EndpointFromEnv:
		return " To use the real Hetzner Cloud API, unset HCLOUD_ENDPOINT."
	}
	return ""
}

// baseURLHint reminds that a non-default endpoint must be an API's base URL: a web server at a
// mistyped one answers with pages too.
func (s Setup) baseURLHint() string {
	if !s.nonDefault() {
		return ""
	}
	return " If the endpoint is a server of your own, check that it is the API's base URL, ending in /v1."
}

func (s Setup) host() string {
	if u, err := url.Parse(s.Endpoint); err == nil && u.Host != "" {
		return u.Hostname()
	}
	return "api.hetzner.cloud"
}

const (
	createToken = "Create a token in the Hetzner Cloud Console: open the project, then Security → API tokens → " +
		"Generate API token, with the permission Read & Write to manage images (Read is enough for the data sources)."
	statusPage = "https://status.hetzner.com announces maintenance and incidents."
)

// environment describes an error that comes from the setup rather than from the request: the
// token, the network path to the API, or the API being unavailable. ok is false for any other
// error, which the caller describes as an API answer.
func environment(doing string, err error) (summary, detail string, ok bool) {
	var s Setup
	var se *setupError
	if errors.As(err, &se) {
		s = se.setup
	}
	var apiErr *hcloud.APIError
	var statusErr *hcloud.StatusError
	var transportErr *hcloud.TransportError
	var createErr *hcloud.UnavailableCreateError
	switch {
	case hcloud.IsOutcomeUnknown(err):
		// That a change may have been made matters more than why the answer was lost.
		return "", "", false
	case errors.As(err, &createErr):
		return "Hetzner Cloud API Temporarily Unavailable", Detail(fmt.Sprintf(
			"While %s, %s answered %s to all %s over %s. The API can make an image and still answer so: "+
				"before each new request, and after the last, the provider looked for an image the earlier "+
				"ones might have made, and found none. Nothing was made, and nothing twice.",
			doing, s.endpoint(), answer(createErr.Err), plural(createErr.Requests, "create request"),
			duration(createErr.Elapsed)),
			"Try again in a few minutes; "+statusPage), true
	case errors.As(err, &apiErr):
		return apiEnvironment(s, doing, apiErr)
	case errors.As(err, &statusErr):
		return "Answer Did Not Come From the API", Detail(fmt.Sprintf(
			"While %s, something between this machine and the API answered instead of it: HTTP %d%s, %s, "+
				"from %s. It came from a proxy, a firewall or a captive portal (the login page of a hotel, "+
				"train or airport network), not from the Hetzner Cloud API; nothing was changed.",
			doing, statusErr.StatusCode, contentKind(statusErr.ContentType), pageStart(statusErr.Body), s.endpoint())+
			retried(statusErr.Attempts, statusErr.Elapsed),
			"If the network needs a login, open any web page in a browser and complete it. Otherwise check the "+
				"proxy settings (HTTPS_PROXY, NO_PROXY) and ask whoever runs the proxy or firewall to let "+
				s.host()+" through."+s.baseURLHint()+s.useRealAPI()), true
	case errors.As(err, &transportErr):
		return transport(s, doing, transportErr)
	}
	return "", "", false
}

func apiEnvironment(s Setup, doing string, e *hcloud.APIError) (string, string, bool) {
	said := fmt.Sprintf("HTTP %d %q: %s", e.StatusCode, e.Code, e.Message)
	write := e.Method != "" && e.Method != http.MethodGet
	switch {
	case e.Code == hcloud.CodeTokenReadOnly || (e.Code == hcloud.CodeForbidden && write):
		return "Read-Only API Token", Detail(fmt.Sprintf(
			"While %s, %s refused the change: the token from %s may only read (%s). Nothing was changed.",
			doing, s.endpoint(), s.tokenFrom(), said),
			"Managing images needs a token with the permission Read & Write. "+createToken+" Set it as "+
				s.tokenSetting()+". The provider cannot tell a Read token before its first change: the API "+
				"offers no way to ask a token's permission without trying a change, which a plan must not do."), true
	case e.Code == hcloud.CodeUnauthorized || e.StatusCode == http.StatusUnauthorized:
		return "API Token Rejected", Detail(fmt.Sprintf(
			"While %s, %s rejected the token from %s (%s): it knows no such token (it may have been deleted, "+
				"or mistyped).", doing, s.endpoint(), s.tokenFrom(), said),
			createToken+" Set it as "+s.tokenSetting()+"."+s.useRealAPI()), true
	case e.Code == hcloud.CodeMaintenance || e.Code == hcloud.CodeUnavailable || e.StatusCode == http.StatusServiceUnavailable:
		return "Hetzner Cloud API Temporarily Unavailable", Detail(fmt.Sprintf(
			"While %s, %s answered %s.", doing, s.endpoint(), said)+retried(e.Attempts, e.Elapsed)+" "+
			unchanged(write, e.StatusCode),
			"Try again in a few minutes; "+statusPage), true
	}
	return "", "", false
}

// unchanged says what an unavailable API's answer means for the project: nothing for a read or
// a refusal; for a write answered 5xx, which the API can give after doing the work, why the
// retries made nothing twice. (Creates, which could, are never resent on such an answer.)
func unchanged(write bool, status int) string {
	switch {
	case !write:
		return "Nothing was changed."
	case status < 500:
		return "The API refused the change, so nothing was changed."
	}
	return "An update or a delete has the same effect however often it is sent, so the retries made " +
		"nothing twice; once the API is back, terraform apply reads what it holds and finishes the change."
}

// answer quotes an error status: the API's code and message, or what answered instead.
func answer(err error) string {
	var apiErr *hcloud.APIError
	var statusErr *hcloud.StatusError
	switch {
	case errors.As(err, &apiErr):
		return fmt.Sprintf("HTTP %d %q (%s)", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	case errors.As(err, &statusErr):
		return fmt.Sprintf("HTTP %d%s, %s", statusErr.StatusCode, contentKind(statusErr.ContentType), pageStart(statusErr.Body))
	}
	return fmt.Sprint(err)
}

// retried says how often the request was tried and for how long, when it was tried more than once.
func retried(attempts int, elapsed time.Duration) string {
	if attempts <= 1 {
		return ""
	}
	return fmt.Sprintf(" It answered so to all %d attempts over %s.", attempts, duration(elapsed))
}

func transport(s Setup, doing string, e *hcloud.TransportError) (string, string, bool) {
	tried := fmt.Sprintf("%s over %s", plural(e.Attempts, "attempt"), duration(e.Elapsed))
	if e.Attempts <= 1 {
		tried = fmt.Sprintf("1 attempt, %s", duration(e.Elapsed))
	}
	check := "Check this machine's network connection, its firewall and proxy settings (HTTPS_PROXY, NO_PROXY); " + statusPage
	if s.nonDefault() {
		check = "Check the endpoint: is it the right address, and is the service there running?"
	}
	check += s.useRealAPI()

	var dnsErr *net.DNSError
	var verifyErr *tls.CertificateVerificationError
	var authorityErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var netErr net.Error
	switch {
	case errors.As(e.Err, &dnsErr):
		what := "does not exist"
		if !dnsErr.IsNotFound {
			what = "could not be looked up"
		}
		return "API Host Name Not Found", Detail(fmt.Sprintf(
			"While %s, the host name %q of %s %s (%v; %s).", doing, dnsErr.Name, s.endpoint(), what, dnsErr, tried),
			"Check the spelling of the endpoint and this machine's DNS settings."+s.useRealAPI()), true
	case errors.As(e.Err, &authorityErr), errors.As(e.Err, &hostErr), errors.As(e.Err, &invalidErr), errors.As(e.Err, &verifyErr):
		return "API Certificate Not Trusted", Detail(fmt.Sprintf(
			"While %s, the TLS certificate of %s did not verify: %s (%v). The provider never sends the token "+
				"over a connection it cannot verify, and did not retry.", doing, s.endpoint(), certificateProblem(e.Err), e.Err),
			"If a proxy or security software on this network intercepts TLS, add its CA certificate to the "+
				"system's trust store (on Linux, e.g. /usr/local/share/ca-certificates and update-ca-certificates; "+
				"SSL_CERT_FILE also works). Otherwise check the endpoint and the system clock."+s.useRealAPI()), true
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return "API Unreachable", Detail(fmt.Sprintf(
			"While %s, nothing accepted a connection at %s: the connection was refused (%s).", doing, s.endpoint(), tried),
			check), true
	case errors.As(e.Err, &netErr) && netErr.Timeout():
		return "API Did Not Answer in Time", Detail(fmt.Sprintf(
			"While %s, %s did not answer in time (%v; %s).", doing, s.endpoint(), e.Err, tried),
			check+" A firewall that drops packets, a VPN, or a proxy that holds connections shows this way."), true
	}
	return "API Connection Failed", Detail(fmt.Sprintf(
		"While %s, the connection to %s failed (%v; %s).", doing, s.endpoint(), e.Err, tried), check), true
}

func certificateProblem(err error) string {
	var authorityErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &authorityErr):
		return "it is signed by an authority this machine does not trust"
	case errors.As(err, &hostErr):
		return "it was issued for other host names"
	case errors.As(err, &invalidErr) && invalidErr.Reason == x509.Expired:
		return "it has expired or is not valid yet"
	}
	return "it is not valid"
}

func contentKind(contentType string) string {
	switch {
	case strings.Contains(contentType, "html"):
		return " with an HTML page"
	case contentType == "":
		return ""
	}
	return " with " + contentType
}

var (
	invisible  = regexp.MustCompile(`(?is)<(script|style)\b.*?</(script|style)\s*>|<!--.*?-->`)
	markup     = regexp.MustCompile(`(?s)<[^>]*>`)
	firstWords = 12
)

// pageStart quotes the first words a browser would show of a page (or of plain text).
func pageStart(body string) string {
	text := html.UnescapeString(markup.ReplaceAllString(invisible.ReplaceAllString(body, " "), " "))
	words := strings.Fields(text)
	if len(words) == 0 {
		return "with nothing to read in it"
	}
	more := ""
	if len(words) > firstWords {
		words, more = words[:firstWords], " …"
	}
	return fmt.Sprintf("beginning %q", strings.Join(words, " ")+more)
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// duration rounds for people: milliseconds below a second, tenths above.
func duration(d time.Duration) string {
	if d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%.1f s", d.Seconds())
}
