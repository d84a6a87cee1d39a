package diags

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

func TestAPIError_environmentFailuresNameTheirCauseAndFix(t *testing.T) {
	fromEnv := Setup{Endpoint: "http://127.0.0.1:9/v1", EndpointFromEnv: true}
	fromConfig := Setup{TokenFromConfig: true, Endpoint: "https://proxy.example/v1", EndpointFromConfig: true}
	defaults := Setup{Endpoint: hcloud.DefaultEndpoint}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name    string
		setup   Setup
		err     error
		summary string
		want    []string
	}{
		{
			name: "rejected token from the environment", setup: defaults,
			err:     &hcloud.APIError{StatusCode: 401, Code: "unauthorized", Message: "unable to authenticate", Method: "GET", Attempts: 1},
			summary: "API Token Rejected",
			want: []string{"rejected the token from the HCLOUD_TOKEN environment variable", `HTTP 401 "unauthorized": unable to authenticate`,
				"Security → API tokens", "Set it as HCLOUD_TOKEN"},
		},
		{
			name: "rejected token from the provider block at another endpoint", setup: fromConfig,
			err:     &hcloud.APIError{StatusCode: 401, Code: "unauthorized", Message: "unable to authenticate", Method: "GET"},
			summary: "API Token Rejected",
			want: []string{"the token from the provider's token argument", "https://proxy.example/v1 (a non-default endpoint, from the provider's endpoint argument)",
				"remove the endpoint argument"},
		},
		{
			name: "read-only token", setup: defaults,
			err:     &hcloud.APIError{StatusCode: 401, Code: "token_readonly", Message: "read only", Method: "POST", Attempts: 1},
			summary: "Read-Only API Token",
			want:    []string{"may only read", "Nothing was changed.", "Read & Write", "cannot tell a Read token before its first change"},
		},
		{
			name: "forbidden write", setup: defaults,
			err:     &hcloud.APIError{StatusCode: 403, Code: "forbidden", Message: "insufficient permissions", Method: "DELETE"},
			summary: "Read-Only API Token",
		},
		{
			name: "unavailable read after retries", setup: defaults,
			err:     &hcloud.APIError{StatusCode: 503, Code: "unavailable", Message: "down", Method: "GET", Attempts: 6, Elapsed: 21 * time.Second},
			summary: "Hetzner Cloud API Temporarily Unavailable",
			want:    []string{"all 6 attempts over 21.0 s", "Nothing was changed.", "status.hetzner.com"},
		},
		{
			name: "unavailable update after retries", setup: defaults,
			err:     &hcloud.APIError{StatusCode: 503, Code: "unavailable", Message: "down", Method: "PUT", Attempts: 6, Elapsed: 20 * time.Second},
			summary: "Hetzner Cloud API Temporarily Unavailable",
			want:    []string{"all 6 attempts over 20.0 s", "the same effect however often it is sent, so the retries made nothing twice"},
		},
		{
			name: "unavailable create", setup: defaults,
			err: &hcloud.UnavailableCreateError{Requests: 4, Elapsed: 2 * time.Second,
				Err: &hcloud.APIError{StatusCode: 503, Code: "unavailable", Message: "down", Method: "POST", Attempts: 1}},
			summary: "Hetzner Cloud API Temporarily Unavailable",
			want: []string{`answered HTTP 503 "unavailable" (down) to all 4 create requests over 2.0 s`,
				"looked for an image the earlier ones might have made, and found none. Nothing was made, and nothing twice."},
		},
		{
			name: "maintenance", setup: defaults,
			err:     &hcloud.APIError{StatusCode: 403, Code: "maintenance", Message: "maintenance", Method: "PUT", Attempts: 1},
			summary: "Hetzner Cloud API Temporarily Unavailable",
			want:    []string{"The API refused the change, so nothing was changed."},
		},
		{
			name: "refused at an endpoint from the environment", setup: fromEnv,
			err:     &hcloud.TransportError{Method: "GET", Path: "/images", Attempts: 4, Elapsed: 3200 * time.Millisecond, Err: refused},
			summary: "API Unreachable",
			want: []string{"http://127.0.0.1:9/v1 (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable)",
				"connection was refused (4 attempts over 3.2 s)", "unset HCLOUD_ENDPOINT"},
		},
		{
			name: "host name not found", setup: defaults,
			err: &hcloud.TransportError{Attempts: 1, Elapsed: 3 * time.Millisecond,
				Err: &net.OpError{Op: "dial", Err: &net.DNSError{Err: "no such host", Name: "api.hetzner.cloud", IsNotFound: true}}},
			summary: "API Host Name Not Found",
			want:    []string{`the host name "api.hetzner.cloud" of the Hetzner Cloud API (https://api.hetzner.cloud/v1) does not exist`, "1 attempt, 3 ms"},
		},
		{
			name: "untrusted certificate", setup: defaults,
			err:     &hcloud.TransportError{Attempts: 1, Err: x509.UnknownAuthorityError{}},
			summary: "API Certificate Not Trusted",
			want:    []string{"signed by an authority this machine does not trust", "add its CA certificate to the system's trust store"},
		},
		{
			name: "certificate for other names", setup: defaults,
			err:     &hcloud.TransportError{Attempts: 1, Err: x509.HostnameError{Certificate: &x509.Certificate{}, Host: "api.hetzner.cloud"}},
			summary: "API Certificate Not Trusted",
			want:    []string{"it was issued for other host names"},
		},
		{
			name: "expired certificate", setup: defaults,
			err:     &hcloud.TransportError{Attempts: 1, Err: x509.CertificateInvalidError{Cert: &x509.Certificate{}, Reason: x509.Expired}},
			summary: "API Certificate Not Trusted",
			want:    []string{"it has expired or is not valid yet", "the system clock"},
		},
		{
			name: "captive portal", setup: defaults,
			err: &hcloud.StatusError{StatusCode: 200, ContentType: "text/html", Method: "GET", Attempts: 1,
				Body: "<html><head><style>p{}</style><title>Hotel &amp; Spa</title></head><body><p>Please sign in to continue</p></body></html>"},
			summary: "Answer Did Not Come From the API",
			want:    []string{`HTTP 200 with an HTML page, beginning "Hotel & Spa Please sign in to continue"`, "nothing was changed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := APIError("Error Reading Image", "reading image 7", tc.setup.Annotate(fmt.Errorf("wrapped: %w", tc.err)), "")
			if d.Summary() != tc.summary {
				t.Errorf("summary %q, want %q", d.Summary(), tc.summary)
			}
			if !strings.HasPrefix(d.Detail(), "While reading image 7, ") {
				t.Errorf("the detail does not say what was being done: %s", d.Detail())
			}
			for _, w := range tc.want {
				if !strings.Contains(d.Detail(), w) {
					t.Errorf("the detail does not say %q:\n%s", w, d.Detail())
				}
			}
		})
	}
}

func TestAPIError_requestErrorsKeepTheCallersSummary(t *testing.T) {
	for _, err := range []error{
		&hcloud.APIError{StatusCode: 404, Code: "not_found", Message: "nope", Method: "GET"},
		&hcloud.APIError{StatusCode: 403, Code: "forbidden", Message: "no", Method: http.MethodGet},
		errors.New("something else"),
	} {
		if d := APIError("Error Reading Image", "reading image 7", Setup{}.Annotate(err), ""); d.Summary() != "Error Reading Image" {
			t.Errorf("%v: summary %q, want the caller's", err, d.Summary())
		}
	}
}
