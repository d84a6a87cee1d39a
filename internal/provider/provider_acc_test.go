package provider_test

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/acctest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

// A resource makes Terraform configure the provider; a provider block alone is never configured.
const oneSnapshot = `
resource "hetzner_image" "probe" {
  server_id = 101
}
`

func TestAccProvider_validConfigurationCreatesThroughTheEmulator(t *testing.T) {
	env := acctest.New(t, emulator.Options{})
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories(),
		Steps: []resource.TestStep{{
			Config: env.Config(oneSnapshot),
			Check: func(*terraform.State) error {
				if snapshots := len(env.Emulator.ImagesOfType(emulator.ImageTypeSnapshot)); snapshots != 1 {
					return fmt.Errorf("the emulator holds %d snapshots, want 1", snapshots)
				}
				return nil
			},
		}},
	})
}

func TestAccProvider_badConfigurationIsRefusedWithItsFix(t *testing.T) {
	cases := []struct {
		name     string
		provider string
		env      map[string]string
		want     *regexp.Regexp
	}{
		{
			name:     "missing token",
			provider: `endpoint = "%s"`,
			env:      map[string]string{"HCLOUD_TOKEN": ""},
			want: acctest.ExpectDiagnostic("Missing API Token",
				"No Hetzner Cloud API token was given. Set the token argument in the provider block "+
					"(for example from a sensitive variable) or export HCLOUD_TOKEN. Create a token in the "+
					"Hetzner Cloud Console under Security → API tokens; managing images needs Read & Write."),
		},
		{
			name:     "malformed token in the configuration",
			provider: `endpoint = "%s"` + "\n" + `token = "abc-123"`,
			want: acctest.ExpectDiagnostic("Malformed API Token",
				"The token from the provider's token argument has 7 characters and contains characters other "+
					"than letters and digits; a Hetzner Cloud API token is exactly 64 letters and digits. Copy the "+
					"whole token again (without quotes, spaces or a line break) from the Hetzner Cloud Console."),
		},
		{
			name:     "malformed token in HCLOUD_TOKEN",
			provider: `endpoint = "%s"`,
			env:      map[string]string{"HCLOUD_TOKEN": "0123456789"},
			want: acctest.ExpectDiagnostic("Malformed API Token",
				"The token from the HCLOUD_TOKEN environment variable has 10 characters and only letters and digits; "+
					"a Hetzner Cloud API token is exactly 64 letters and digits."),
		},
		{
			name:     "plain http to a host on the network",
			provider: `endpoint = "http://api.example.com/v1"` + "\n" + `token = "` + acctest.Token + `"` + "\n# %s",
			want: acctest.ExpectDiagnostic("Insecure API Endpoint",
				`The endpoint "http://api.example.com/v1" uses plain http to host "api.example.com", which would send `+
					"the API token in clear text over the network. Use https://, or http:// only for a loopback "+
					"host (localhost, 127.0.0.0/8, ::1) such as a local API emulator."),
		},
		{
			name:     "plain http to a private address from HCLOUD_ENDPOINT",
			provider: `token = "` + acctest.Token + `"` + "\n# %s",
			env:      map[string]string{"HCLOUD_ENDPOINT": "http://10.0.0.5/v1"},
			want: acctest.ExpectDiagnostic("Insecure API Endpoint",
				`The HCLOUD_ENDPOINT "http://10.0.0.5/v1" uses plain http to host "10.0.0.5"`),
		},
		{
			name:     "poll interval that is not a duration",
			provider: `endpoint = "%s"` + "\n" + `token = "` + acctest.Token + `"` + "\n" + `poll_interval = "5"`,
			want: acctest.ExpectDiagnostic("Invalid Poll Interval",
				`"5" is not a positive duration. Write a number with a unit, such as "500ms", "2s" or "1m".`),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := acctest.New(t, emulator.Options{})
			t.Setenv("HCLOUD_TOKEN", "")
			t.Setenv("HCLOUD_ENDPOINT", "")
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			resource.Test(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories(),
				Steps: []resource.TestStep{{
					Config:      "provider \"hetzner\" {\n" + fmt.Sprintf(tc.provider, env.Endpoint) + "\n}\n" + oneSnapshot,
					ExpectError: tc.want,
				}},
			})
			if n := env.Emulator.TotalRequests(); n != 0 {
				t.Errorf("a refused configuration sent %d requests to the API, want 0", n)
			}
		})
	}
}
