package provider

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-log/tflog"
	"github.com/hashicorp/terraform-plugin-log/tflogtest"
)

func TestCLIProviderLogLevel(t *testing.T) {
	for _, tc := range []struct{ provider, all, want string }{
		{"", "", "OFF"},
		{"", "debug", "DEBUG"},
		{"info", "trace", "INFO"},
		{"", "JSON", "TRACE"},
		{"", "verbose", "TRACE"},
		{" off ", "trace", "OFF"},
	} {
		if got := cliProviderLogLevel(tc.provider, tc.all); got != tc.want {
			t.Errorf("TF_LOG_PROVIDER=%q TF_LOG=%q: %s, want %s", tc.provider, tc.all, got, tc.want)
		}
	}
}

func TestLogOnlyWhatTheCLIKeeps_leavesExplicitLevels(t *testing.T) {
	for _, name := range sdkLogLevels {
		t.Setenv(name, "") // restored after the test
		_ = os.Unsetenv(name)
	}
	t.Setenv("TF_LOG", "")
	t.Setenv("TF_LOG_PROVIDER", "")
	t.Setenv("TF_LOG_SDK_PROTO", "TRACE")
	LogOnlyWhatTheCLIKeeps()
	for _, name := range sdkLogLevels {
		want := "OFF"
		if name == "TF_LOG_SDK_PROTO" {
			want = "TRACE"
		}
		if got := os.Getenv(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TF_LOG_PROVIDER_HETZNER_API sets the level of the API request lines on its own; unset, they
// follow the provider's level.
func TestAPILogContext_levelFromItsOwnVariable(t *testing.T) {
	logged := func() string {
		var out bytes.Buffer
		ctx := apiLogContext(tflogtest.RootLogger(context.Background(), &out), "secret-token")
		tflog.SubsystemDebug(ctx, logSubsystem, "API request", map[string]any{"path": "/images/1", "auth": "secret-token"})
		return out.String()
	}
	t.Setenv("TF_LOG_PROVIDER_HETZNER_API", "") // restored after the test
	_ = os.Unsetenv("TF_LOG_PROVIDER_HETZNER_API")
	if got := logged(); !strings.Contains(got, "API request") || strings.Contains(got, "secret-token") {
		t.Errorf("unset: want the line at the provider's level, token masked; got %q", got)
	}
	t.Setenv("TF_LOG_PROVIDER_HETZNER_API", "OFF")
	if got := logged(); got != "" {
		t.Errorf("TF_LOG_PROVIDER_HETZNER_API=OFF: want no line, got %q", got)
	}
}
