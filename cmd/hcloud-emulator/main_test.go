package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "hcloud-emulator-test")
	if err != nil {
		panic(err)
	}
	binDir = dir
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildCommand compiles the command once per test binary, so the test runs
// what users run rather than calling run() in-process.
var buildCommand = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "hcloud-emulator")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", &buildError{out: string(out), err: err}
	}
	return bin, nil
})

type buildError struct {
	out string
	err error
}

func (e *buildError) Error() string { return e.err.Error() + ": " + e.out }

// lockedBuffer collects a child's output and signals its first line.
type lockedBuffer struct {
	mu        sync.Mutex
	b         bytes.Buffer
	firstLine chan string
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{firstLine: make(chan string, 1)} }

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	hadLine := bytes.ContainsRune(l.b.Bytes(), '\n')
	n, err := l.b.Write(p)
	if line, _, found := strings.Cut(l.b.String(), "\n"); found && !hadLine {
		l.firstLine <- line
	}
	return n, err
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// start runs the command and waits for the first stdout line. cmd.Wait
// finishes copying stdout and stderr into the buffers.
func start(t *testing.T, args ...string) (firstLine string, cmd *exec.Cmd, stdout, stderr *lockedBuffer) {
	t.Helper()
	bin, err := buildCommand()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	cmd = exec.CommandContext(context.Background(), bin, args...)
	stdout, stderr = newLockedBuffer(), newLockedBuffer()
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	select {
	case firstLine = <-stdout.firstLine:
	case <-time.After(30 * time.Second):
		t.Fatalf("no first line; stderr: %s", stderr.String())
	}
	return firstLine, cmd, stdout, stderr
}

func TestCommand_printsEndpointThenServesUntilSIGTERM(t *testing.T) {
	line, cmd, rest, stderr := start(t, "--listen", "127.0.0.1:0", "--token", "test-token", "--action-duration", "1s")
	m := regexp.MustCompile(`^HCLOUD_ENDPOINT=(http://127\.0\.0\.1:[1-9][0-9]*/v1)$`).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("first line = %q", line)
	}
	endpoint := m[1]

	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, endpoint+"/images?name=debian-12", nil)
	req.Header.Set("Authorization", "Bearer test-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Images []struct {
			ID int64 `json:"id"`
		} `json:"images"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || len(body.Images) != 2 {
		t.Fatalf("GET /images = %d %+v %v", resp.StatusCode, body, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, stderr.String())
	}
	for _, want := range []string{"web-1", "db-1", "arm-1", "ubuntu-24.04", "debian-12", "docker-ce", "2025-05-31"} {
		if !strings.Contains(rest.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, rest.String())
		}
	}
	if log := stderr.String(); !strings.Contains(log, "GET /v1/images?name=debian-12 -> 200") || strings.Contains(log, "test-token") {
		t.Errorf("request log = %q", log)
	}
}

func TestCommand_warnsOnNonLoopbackAddress(t *testing.T) {
	line, cmd, _, stderr := start(t, "--listen", "0.0.0.0:0", "--quiet")
	if !regexp.MustCompile(`^HCLOUD_ENDPOINT=http://127\.0\.0\.1:[1-9][0-9]*/v1$`).MatchString(line) {
		t.Errorf("first line = %q", line)
	}
	_ = cmd.Process.Signal(syscall.SIGINT)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v", err)
	}
	if !strings.Contains(stderr.String(), "warning: listening on") {
		t.Errorf("stderr = %q, want a warning", stderr.String())
	}
}

func TestCommand_refusesAnUnknownProgressShape(t *testing.T) {
	bin, err := buildCommand()
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	out, err := exec.CommandContext(t.Context(), bin, "--listen", "127.0.0.1:0", "--progress-shape", "sideways").CombinedOutput()
	if err == nil || !strings.Contains(string(out), `unknown progress shape "sideways" (one of linear, stalled, steps, slow-start)`) {
		t.Fatalf("err = %v, output:\n%s", err, out)
	}
}

func TestCommand_serversSeedsMoreServers(t *testing.T) {
	line, cmd, rest, stderr := start(t, "--listen", "127.0.0.1:0", "--quiet", "--servers", "250")
	endpoint := strings.TrimPrefix(line, "HCLOUD_ENDPOINT=")
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, endpoint+"/servers?label_selector=fleet%3Dyes&per_page=1", nil)
	req.Header.Set("Authorization", "Bearer "+strings.Repeat("x", 64))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Meta struct {
			Pagination struct {
				TotalEntries int `json:"total_entries"`
			} `json:"pagination"`
		} `json:"meta"`
	}
	err = json.NewDecoder(resp.Body).Decode(&body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || body.Meta.Pagination.TotalEntries != 250 {
		t.Fatalf("GET /servers?label_selector=fleet=yes = %d %+v %v", resp.StatusCode, body, err)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, stderr.String())
	}
	// The three seeded servers and five of the fleet, then a count instead of 245 lines.
	if out := rest.String(); !strings.Contains(out, "server-5 ") || strings.Contains(out, "server-6 ") || !strings.Contains(out, "... and 245 more") {
		t.Errorf("summary:\n%s", out)
	}
}

func TestCommand_refusesNegativeServers(t *testing.T) {
	var stderr bytes.Buffer
	err := run(t.Context(), []string{"--servers", "-1"}, io.Discard, &stderr)
	if err == nil || !strings.Contains(err.Error(), "--servers must be 0 or more") {
		t.Errorf("run --servers -1 = %v", err)
	}
}

func TestCommand_readOnlyTokensReadButDoNotWrite(t *testing.T) {
	line, _, _, _ := start(t, "--listen", "127.0.0.1:0", "--quiet", "--token", "rw-token",
		"--read-only-token", "ro-one", "--read-only-token", "ro-two")
	endpoint := strings.TrimPrefix(line, "HCLOUD_ENDPOINT=")
	send := func(method, token, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), method, endpoint+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		var e struct {
			Error struct {
				Code string `json:"code"`
			} `json:"error"`
		}
		_ = json.NewDecoder(resp.Body).Decode(&e)
		return resp.StatusCode, e.Error.Code
	}
	for _, token := range []string{"ro-one", "ro-two"} {
		if status, _ := send("GET", token, "/images", ""); status != http.StatusOK {
			t.Errorf("GET with %s = %d, want 200", token, status)
		}
		if status, code := send("POST", token, "/servers/101/actions/create_image", `{}`); status != http.StatusUnauthorized || code != "token_readonly" {
			t.Errorf("POST with %s = %d %q, want 401 token_readonly", token, status, code)
		}
	}
	if status, _ := send("POST", "rw-token", "/servers/101/actions/create_image", `{}`); status != http.StatusCreated {
		t.Errorf("POST with the read-write token = %d, want 201", status)
	}
}
