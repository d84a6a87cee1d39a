package e2e

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// wrongToken has the shape of a token, so only the API can reject it.
const wrongToken = "WRONGtokenWRONGtokenWRONGtokenWRONGtokenWRONGtokenWRONGtoken0000"

// readOnlyToken is a token the emulator lets read but not write.
const readOnlyToken = "READonlyREADonlyREADonlyREADonlyREADonlyREADonlyREADonlyREADonly"

// envCause is one failure of the environment, as a user meets it: what stands between the
// provider and the API, the phase it must fail in, the diagnostic it must give, and how many
// attempts it must have made.
type envCause struct {
	name string
	// start prepares what the provider talks to: the endpoint for HCLOUD_ENDPOINT (empty to
	// leave it unset), the token for HCLOUD_TOKEN, the emulator if one answers, and a count of
	// the attempts that reached it (nil where nothing can count them, such as a refused
	// connection: the provider's log lines count them then).
	start    func(t *testing.T) (endpoint, token string, emu *emulator.Emulator, attempts func() int)
	provider string // replaces the provider block's body when set
	config   string
	phase    string
	summary  string
	detail   string // the whole detail, durations written as <time>
	attempts int    // counted where the requests arrive, or from the log's retry lines
	retries  int    // the provider's log lines announcing a retry, where the client retries
}

// lookup reads the images during the plan; create makes one during the apply.
const (
	lookup = `data "hetzner_images" "all" {
  type = ["snapshot"]
}
`
	create = `resource "hetzner_image" "x" {
  server_id = 101
}
`
)

// emulatorOptions accept emulatortest.Token for reading and writing, and readOnlyToken for reading.
var emulatorOptions = emulator.Options{Token: emulatortest.Token, ReadOnlyTokens: []string{readOnlyToken}, ActionDuration: 1}

// emulatorWith serves the emulator, its answers checked against the API description, and
// counts its requests; the provider gets the given token.
func emulatorWith(token string) func(*testing.T) (string, string, *emulator.Emulator, func() int) {
	return func(t *testing.T) (string, string, *emulator.Emulator, func() int) {
		emu, endpoint := emulatortest.Start(t, emulatorOptions)
		return endpoint, token, emu, emu.TotalRequests
	}
}

// nowhere leaves HCLOUD_ENDPOINT unset, for rows whose provider block names the endpoint.
func nowhere(*testing.T) (string, string, *emulator.Emulator, func() int) {
	return "", emulatortest.Token, nil, nil
}

// refusing is a loopback address where nothing listens.
func refusing(t *testing.T) (string, string, *emulator.Emulator, func() int) {
	return "http://" + emulatortest.Refusing(t) + "/v1", emulatortest.Token, nil, nil
}

// silent accepts connections and never says a word: TLS handshakes time out.
func silent(t *testing.T) (string, string, *emulator.Emulator, func() int) {
	addr, accepted := emulatortest.Silent(t)
	return "https://" + addr + "/v1", emulatortest.Token, nil, accepted
}

// untrusted serves the emulator over TLS with a certificate no system trusts, as a proxy that
// intercepts TLS does until its CA is installed; it counts the handshakes.
func untrusted(t *testing.T) (string, string, *emulator.Emulator, func() int) {
	emu := emulator.New(emulatorOptions)
	var handshakes atomic.Int64
	srv := httptest.NewUnstartedServer(emu)
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			handshakes.Add(1)
		}
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL + "/v1", emulatortest.Token, emu, func() int { return int(handshakes.Load()) }
}

// withFault serves the emulator with a fault on every matching request.
func withFault(f emulator.Fault) func(*testing.T) (string, string, *emulator.Emulator, func() int) {
	return func(t *testing.T) (string, string, *emulator.Emulator, func() int) {
		endpoint, token, emu, _ := emulatorWith(emulatortest.Token)(t)
		f.Count = 1000
		emu.FailNext(f)
		attempts := emu.TotalRequests
		if f.Path != "" {
			attempts = func() int { return emu.RequestCount(f.Method, f.Path) }
		}
		return endpoint, token, emu, attempts
	}
}

const portalPage = `<!DOCTYPE html><html><head><title>Guest Wi-Fi</title><style>body { font: 14px sans-serif }</style>
<script>var next = "/login";</script></head><body><h1>Welcome to Guest Wi-Fi</h1>
<p>Please accept the terms of use to continue.</p><!-- Authorization: Bearer ` + emulatortest.Token + ` --></body></html>`

var envCauses = []envCause{
	{
		name: "token rejected, from HCLOUD_TOKEN", start: emulatorWith(wrongToken), config: lookup, phase: "plan", attempts: 1,
		summary: "API Token Rejected",
		detail: `While listing images with type = ["snapshot"], <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable) rejected the token from the HCLOUD_TOKEN environment variable (HTTP 401 "unauthorized": ` +
			`unable to authenticate): it knows no such token (it may have been deleted, or mistyped). ` +
			`Create a token in the Hetzner Cloud Console: open the project, then Security → API tokens → ` +
			`Generate API token, with the permission Read & Write to manage images (Read is enough for the data sources). ` +
			`Set it as HCLOUD_TOKEN (or the provider's token argument). To use the real Hetzner Cloud API, unset HCLOUD_ENDPOINT.`,
	},
	{
		name: "token rejected, from the provider block", start: emulatorWith(""), config: lookup, phase: "plan", attempts: 1,
		provider: `token = "` + wrongToken + `"`,
		summary:  "API Token Rejected",
		detail: `rejected the token from the provider's token argument (HTTP 401 "unauthorized": unable to authenticate)` +
			`: it knows no such token (it may have been deleted, or mistyped).`,
	},
	{
		name: "read-only token, at the first change", start: emulatorWith(readOnlyToken), config: create, phase: "apply", attempts: 1,
		summary: "Read-Only API Token",
		detail: `While creating a snapshot of server 101, <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable) refused the change: the token from the HCLOUD_TOKEN ` +
			`environment variable may only read (HTTP 401 "token_readonly": the token is only allowed to perform GET ` +
			`requests). Nothing was changed. Managing images needs a token with the permission Read & ` +
			`Write. Create a token in the Hetzner Cloud Console: open the project, then Security → API tokens → Generate API ` +
			`token, with the permission Read & Write to manage images (Read is enough for the data sources). Set it as ` +
			`HCLOUD_TOKEN (or the provider's token argument). The provider cannot tell a Read token before its first change: ` +
			`the API offers no way to ask a token's permission without trying a change, which a plan must not do. ` +
			`Nothing was recorded in the state.`,
	},
	{
		name: "connection refused, endpoint from HCLOUD_ENDPOINT", start: refusing, config: lookup, phase: "plan", attempts: 4, retries: 3,
		summary: "API Unreachable",
		detail: `While listing images with type = ["snapshot"], nothing accepted a connection at <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable): the connection was refused (4 attempts over <time>). ` +
			`Check the endpoint: is it the right address, and is the service there running? To use the real Hetzner Cloud ` +
			`API, unset HCLOUD_ENDPOINT.`,
	},
	{
		name: "connection refused during a create", start: refusing, config: create, phase: "apply", attempts: 4, retries: 3,
		summary: "API Unreachable",
		detail:  `While creating a snapshot of server 101, nothing accepted a connection at <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable): the connection was refused (4 attempts over <time>).`,
	},
	{
		// The host is reserved never to resolve. Where DNS itself is unreachable the lookup fails
		// differently; the row then still names the host, and the log shows the full diagnostic.
		name: "host name not found, endpoint from the provider block", start: nowhere,
		provider: `endpoint = "https://api.hetzner.invalid/v1"`, config: lookup, phase: "plan",
		summary: "API Host Name Not Found",
		detail: `While listing images with type = ["snapshot"], the host name "api.hetzner.invalid" of ` +
			`https://api.hetzner.invalid/v1 (a non-default endpoint, from the provider's endpoint argument)`,
	},
	{
		name: "no answer in time", start: silent, config: lookup, phase: "plan", attempts: 2, retries: 1,
		summary: "API Did Not Answer in Time",
		detail: `While listing images with type = ["snapshot"], <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable) did not answer in time (net/http: TLS handshake timeout; 2 attempts over ` +
			`<time>). Check the endpoint: is it the right address, and is the service there running? To use the real Hetzner ` +
			`Cloud API, unset HCLOUD_ENDPOINT. A firewall that drops packets, a VPN, or a proxy that holds connections shows this way.`,
	},
	{
		name: "certificate not trusted", start: untrusted, config: lookup, phase: "plan", attempts: 1,
		summary: "API Certificate Not Trusted",
		detail: `While listing images with type = ["snapshot"], the TLS certificate of <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable) did not verify: it is signed by an authority this machine does ` +
			`not trust (tls: failed to verify certificate: x509: certificate signed by unknown authority). The provider never ` +
			`sends the token over a connection it cannot verify, and did not retry. If a proxy or security software on this ` +
			`network intercepts TLS, add its CA certificate to the system's trust store (on Linux, e.g. ` +
			`/usr/local/share/ca-certificates and update-ca-certificates; SSL_CERT_FILE also works). Otherwise check the ` +
			`endpoint and the system clock. To use the real Hetzner Cloud API, unset HCLOUD_ENDPOINT.`,
	},
	{
		name: "captive portal page instead of the API", config: lookup, phase: "plan", attempts: 1,
		start:   withFault(emulator.Fault{Method: "GET", Status: http.StatusOK, RawBody: portalPage}),
		summary: "Answer Did Not Come From the API",
		detail: `While listing images with type = ["snapshot"], something between this machine and the API answered ` +
			`instead of it: HTTP 200 with an HTML page, beginning "Guest Wi-Fi Welcome to Guest Wi-Fi Please accept the ` +
			`terms of use …", from <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable). It came from a proxy, a firewall or a captive portal (the login page of a hotel, train or airport ` +
			`network), not from the Hetzner Cloud API; nothing was changed. If the network needs a login, open any web page ` +
			`in a browser and complete it. Otherwise check the proxy settings (HTTPS_PROXY, NO_PROXY) and ask whoever runs ` +
			`the proxy or firewall to let 127.0.0.1 through. If the endpoint is a server of your own, check that it is ` +
			`the API's base URL, ending in /v1. To use the real Hetzner Cloud API, unset HCLOUD_ENDPOINT.`,
	},
	{
		name: "API unavailable for a read", config: lookup, phase: "plan", attempts: 6, retries: 5,
		start:   withFault(emulator.Fault{Method: "GET", Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "service unavailable"}),
		summary: "Hetzner Cloud API Temporarily Unavailable",
		detail: `While listing images with type = ["snapshot"], <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT environment variable) answered HTTP 503 "unavailable": service unavailable. It answered so to all 6 attempts over ` +
			`<time>. Nothing was changed. Try again in a few minutes; https://status.hetzner.com announces maintenance and incidents.`,
	},
	{
		name: "API unavailable for a create", config: create, phase: "apply", attempts: 4,
		start: withFault(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image",
			Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "service unavailable"}),
		summary: "Hetzner Cloud API Temporarily Unavailable",
		detail: `While creating a snapshot of server 101, <endpoint> (a non-default endpoint, from the HCLOUD_ENDPOINT ` +
			`environment variable) answered HTTP 503 "unavailable" (service unavailable) to all 4 create requests over ` +
			`<time>. The API can make an image and still answer so: before each new request, and after the last, the ` +
			`provider looked for an image the earlier ones might have made, and found none. Nothing was made, and nothing ` +
			`twice. Try again in a few minutes; https://status.hetzner.com announces maintenance and incidents. Nothing ` +
			`was recorded in the state.`,
	},
	{
		name: "API in maintenance for a create", config: create, phase: "apply", attempts: 1,
		start: withFault(emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image",
			Status: http.StatusForbidden, Code: "maintenance", Message: "cannot perform operation due to maintenance"}),
		summary: "Hetzner Cloud API Temporarily Unavailable",
		detail: `answered HTTP 403 "maintenance": cannot perform operation due to maintenance. The API refused the change, ` +
			`so nothing was changed. Try again in a few minutes;`,
	},
}

// durations matches the times a diagnostic reports, which vary from run to run.
var durations = regexp.MustCompile(`\b\d+(\.\d+)? (ms|s)\b`)

// retryLine is the provider's log line before each retry.
const retryLine = "API request failed, trying again"

type envResult struct {
	name, phase string
	took        time.Duration
	attempts    int
}

// TestAccEnvironment_eachCauseFailsInItsPhaseWithItsDiagnostic runs every failure of the
// environment through the real CLI and the built provider. The time to fail is recorded (see
// the log's table), not asserted; the attempts are counted.
func TestAccEnvironment_eachCauseFailsInItsPhaseWithItsDiagnostic(t *testing.T) {
	var mu sync.Mutex
	var results []envResult
	t.Cleanup(func() {
		sort.Slice(results, func(i, j int) bool { return results[i].name < results[j].name })
		var b strings.Builder
		fmt.Fprintf(&b, "time to fail, by cause (%s):\n", filepath.Base(os.Getenv("TF_ACC_TERRAFORM_PATH")))
		for _, r := range results {
			fmt.Fprintf(&b, "  %-55s %-6s %2d attempt(s) %8s\n", r.name, r.phase, r.attempts, r.took.Round(10*time.Millisecond))
		}
		t.Log(b.String())
	})
	for _, tc := range envCauses {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			endpoint, token, emu, attempts := tc.start(t)
			w := newWorkspace(t, endpoint, token)
			logPath := filepath.Join(t.TempDir(), "provider.log")
			w.env = append(w.env, "TF_LOG_PROVIDER=WARN", "TF_LOG_PATH="+logPath)
			w.write(tc.config)
			if tc.provider != "" {
				w.writeProvider(tc.provider + "\n  poll_interval = \"50ms\"")
			}

			phase, out, took := "none", "", time.Duration(0)
			for _, p := range []struct {
				phase string
				args  []string
			}{
				{"validate", []string{"validate"}},
				{"plan", []string{"plan", "-out=tfplan"}},
				{"apply", []string{"apply", "-auto-approve", "tfplan"}},
			} {
				start := time.Now()
				o, err := w.run(p.args...)
				if err != nil {
					phase, out, took = p.phase, o, time.Since(start)
					break
				}
			}
			log, _ := os.ReadFile(logPath)
			retries := strings.Count(string(log), retryLine)
			n := retries + 1
			if attempts != nil {
				n = attempts()
			}
			mu.Lock()
			results = append(results, envResult{name: tc.name, phase: phase, took: took, attempts: n})
			mu.Unlock()
			t.Logf("failed in %s after %s:\n%s", phase, took.Round(10*time.Millisecond), out)

			if phase != tc.phase {
				t.Fatalf("failed in phase %q, want %q", phase, tc.phase)
			}
			flat := durations.ReplaceAllString(oneLine(out), "<time>")
			if !strings.Contains(flat, "Error: "+tc.summary) {
				t.Errorf("no diagnostic %q", tc.summary)
			}
			want := oneLine(strings.ReplaceAll(tc.detail, "<endpoint>", endpoint))
			if !strings.Contains(flat, want) {
				t.Errorf("the diagnostic does not say:\n%s", want)
			}
			if tc.attempts != 0 && n != tc.attempts {
				t.Errorf("%d attempts, want %d", n, tc.attempts)
			}
			if tc.retries != 0 && retries != tc.retries {
				t.Errorf("the log has %d lines %q, want %d, one per retry", retries, retryLine, tc.retries)
			}
			for _, secret := range []string{emulatortest.Token, wrongToken, readOnlyToken} {
				if strings.Contains(out, secret) || strings.Contains(string(log), secret) {
					t.Errorf("the output or the log holds a token")
				}
			}
			// Nothing may have changed in the API.
			if emu != nil {
				for _, img := range emu.ImagesOfType("snapshot", "backup") {
					t.Errorf("the emulator holds image %d (%s)", img.ID, img.Type)
				}
			}
			if imgs := w.managedImages(); len(imgs) != 0 {
				t.Errorf("the state holds %v", imgs)
			}
		})
	}
}
