package provider

import (
	"os"
	"testing"
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
