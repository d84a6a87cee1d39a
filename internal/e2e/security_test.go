package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

// secretToken is distinctive, so that finding any part of it anywhere is a leak.
const secretToken = "SECRETtokenSECRETtokenSECRETtokenSECRETtokenSECRETtokenSECRET123"

func TestAccSecurity_tokenNeverLeaksIntoLogsDiagnosticsOrState(t *testing.T) {
	var mu sync.Mutex
	var emulatorLog []string
	emu, endpoint := emulatortest.Start(t, emulator.Options{
		Token:  secretToken,
		Logger: func(line string) { mu.Lock(); emulatorLog = append(emulatorLog, line); mu.Unlock() },
	})
	w := newWorkspace(t, endpoint, secretToken)
	logPath := filepath.Join(t.TempDir(), "trace.log")
	trace := []string{"TF_LOG=TRACE", "TF_LOG_PATH=" + logPath}

	var outputs []string
	step := func(hcl string, wantErr bool, args ...string) {
		t.Helper()
		w.write(hcl)
		out, err := w.runEnv(trace, args...)
		outputs = append(outputs, out)
		if (err != nil) != wantErr {
			t.Fatalf("%v: err = %v, want error %t\n%s", args, err, wantErr, out)
		}
	}
	protected := `resource "hetzner_image" "snap" {
  server_id         = 101
  description       = "release"
  labels            = { env = "prod" }
  delete_protection = true
}
`
	step(protected, false, "apply", "-auto-approve")
	step(protected, false, "plan")
	step(protected, true, "destroy", "-auto-approve") // refused: protected, a diagnostic
	step(strings.Replace(protected, "true", "false", 1), false, "apply", "-auto-approve")
	step(`resource "hetzner_image" "bad" { server_id = 999 }`, true, "apply", "-auto-approve") // API error diagnostic
	step(`resource "hetzner_image" "bad" { server_id = 999 }`, false, "destroy", "-auto-approve")

	traceLog, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	state, _ := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate"))
	backup, _ := os.ReadFile(filepath.Join(w.dir, "terraform.tfstate.backup"))
	places := map[string]string{
		"the trace log":      string(traceLog),
		"the CLI output":     strings.Join(outputs, "\n"),
		"the state":          string(state),
		"the state backup":   string(backup),
		"the emulator's log": strings.Join(emulatorLog, "\n"),
	}
	for place, text := range places {
		for _, part := range []string{secretToken, secretToken[:16], secretToken[24:40]} {
			if strings.Contains(text, part) {
				t.Errorf("%s contains the token (or part of it: %q)", place, part)
			}
		}
	}
	// The test proves nothing unless the trace really holds the provider's API log lines.
	for _, want := range []string{"API request", "ratelimit_remaining", "/servers/101/actions/create_image"} {
		if !strings.Contains(string(traceLog), want) {
			t.Errorf("the trace log has no %q: the provider's API logging is not captured", want)
		}
	}
	if len(state) == 0 || len(emulatorLog) == 0 {
		t.Errorf("state (%d bytes) or emulator log (%d lines) is empty", len(state), len(emulatorLog))
	}
	if n := emu.RequestCount("POST", "/v1/servers/{id}/actions/create_image"); n != 2 {
		t.Errorf("%d create_image requests, want 2 (one made, one refused for the unknown server)", n)
	}
}
