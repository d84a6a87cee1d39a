package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
)

func TestAccCreate_progressLogLinesGiveTheTimeWaitedAndThePredictedEnd(t *testing.T) {
	_, endpoint := emulatortest.Start(t, emulator.Options{ActionDuration: 3 * time.Second})
	w := newWorkspace(t, endpoint, emulatortest.Token)
	w.write(`resource "hetzner_image" "x" { server_id = 101 }`)
	logPath := filepath.Join(t.TempDir(), "info.log")
	started := time.Now().UTC().Truncate(time.Second)
	if out, err := w.runEnv([]string{"TF_LOG=INFO", "TF_LOG_PATH=" + logPath}, "apply", "-auto-approve"); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for line := range strings.SplitSeq(string(raw), "\n") {
		if strings.Contains(line, "[INFO]") && strings.Contains(line, "writing image") {
			lines = append(lines, line)
		}
	}
	elapsed := regexp.MustCompile(`elapsed=[0-9hms.]+`)
	predicted := regexp.MustCompile(`predicted_end=([0-9TZ:-]+)`)
	var predictions int
	for _, line := range lines {
		if !elapsed.MatchString(line) {
			t.Errorf("progress line without the time waited: %s", line)
		}
		if m := predicted.FindStringSubmatch(line); m != nil {
			predictions++
			at, err := time.Parse(time.RFC3339, m[1])
			if err != nil || at.Before(started) {
				t.Errorf("predicted_end %q is not a time after the apply started (%v): %s", m[1], err, line)
			}
		}
	}
	// Linear progress of a 3 s action, checked from 50 ms on, allows a prediction before the end.
	if len(lines) < 2 || predictions == 0 || !strings.Contains(lines[len(lines)-1], "status=success") {
		t.Errorf("%d progress lines, %d with a predicted end; want several, one or more predicting, the last a success:\n%s",
			len(lines), predictions, strings.Join(lines, "\n"))
	}
}
