// Package acctest runs acceptance tests against an in-process API emulator with a real
// Terraform or OpenTofu CLI (see emulatortest for the checks on every response).
package acctest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/provider"
)

// Token is the API token of test configurations.
const Token = emulatortest.Token

// Env is one emulator serving one test on a loopback port.
type Env struct {
	Emulator *emulator.Emulator
	Endpoint string
}

// New starts an emulator for the test and stops it when the test ends. Unless opts say
// otherwise, actions take 300ms, so tests exercise real waiting without being slow.
func New(t *testing.T, opts emulator.Options) *Env {
	t.Helper()
	if opts.ActionDuration == 0 {
		opts.ActionDuration = 300 * time.Millisecond
	}
	emu, endpoint := emulatortest.Start(t, opts)
	return &Env{Emulator: emu, Endpoint: endpoint}
}

// ProviderConfig is a provider block that points at this emulator.
func (e *Env) ProviderConfig() string {
	return fmt.Sprintf(`
provider "hetzner" {
  endpoint      = %q
  token         = %q
  poll_interval = "50ms"
}
`, e.Endpoint, Token)
}

// Config joins the provider block and the given configuration.
func (e *Env) Config(hcl string) string { return e.ProviderConfig() + hcl }

// ProviderFactories serve the provider in-process. Retry waits are short so that tests of
// injected faults do not take seconds per retry; the retry logic itself is unchanged.
func ProviderFactories() map[string]func() (tfprotov6.ProviderServer, error) {
	fast := func(o *hcloud.Options) {
		o.RetryWaitMin = 20 * time.Millisecond
		o.RetryWaitMax = 200 * time.Millisecond
	}
	return map[string]func() (tfprotov6.ProviderServer, error){
		"hetzner": providerserver.NewProtocol6WithError(provider.New("test", fast)()),
	}
}

// ExpectDiagnostic matches an error diagnostic's summary and detail word for word. The CLI
// prints the configuration's location between them and wraps long lines, so the location is
// skipped and any run of white space matches any other.
func ExpectDiagnostic(summary, detail string) *regexp.Regexp {
	return regexp.MustCompile(`Error: ` + words(summary) + `\s*\n(?s:.*?)` + words(detail))
}

func words(s string) string {
	fields := strings.Fields(s)
	for i, f := range fields {
		fields[i] = regexp.QuoteMeta(f)
	}
	return strings.Join(fields, `[\s│]+`)
}

// Client talks to this test's emulator directly, for changes made "outside Terraform".
func (e *Env) Client() *hcloud.Client {
	return hcloud.New(hcloud.Options{Endpoint: e.Endpoint, Token: Token, PollInterval: 10 * time.Millisecond})
}

// CheckNoUserImages fails when a snapshot or backup is left in the emulator: after a destroy,
// nothing may stay behind.
func (e *Env) CheckNoUserImages(*terraform.State) error {
	left := e.Emulator.ImagesOfType(emulator.ImageTypeSnapshot, emulator.ImageTypeBackup)
	if len(left) > 0 {
		return fmt.Errorf("%d images left in the emulator after destroy, first id %d", len(left), left[0].ID)
	}
	return nil
}
