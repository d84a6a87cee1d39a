// Package emulatortest starts the API emulator for a test on a loopback port and checks every
// response it serves against the API's OpenAPI description: a test fails on any violation.
package emulatortest

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/spec"
)

// Token is accepted by the emulator (it has the shape of a real token) and worthless elsewhere.
const Token = "acctestTOKENacctestTOKENacctestTOKENacctestTOKENacctestTOKEN0000" //nolint:gosec // G101: a test fixture

var (
	loadSpec  sync.Once
	validator *spec.Validator
	specErr   error
)

// Start serves a new emulator until the test ends and returns it with its /v1 endpoint.
func Start(t testing.TB, opts emulator.Options) (*emulator.Emulator, string) {
	t.Helper()
	loadSpec.Do(func() { validator, specErr = spec.Load() })
	if specErr != nil {
		t.Fatalf("loading the OpenAPI description: %v", specErr)
	}
	rec := validator.Recorder()
	observe := opts.OnResponse
	opts.OnResponse = func(r *http.Request, status int, header http.Header, body []byte) {
		rec.Observe(r, status, header, body)
		if observe != nil {
			observe(r, status, header, body)
		}
	}
	emu := emulator.New(opts)
	srv := httptest.NewServer(emu)
	t.Cleanup(func() {
		srv.Close()
		for _, v := range rec.Violations() {
			t.Errorf("emulator response violates the OpenAPI description: %v", v)
		}
		t.Logf("%d emulator responses checked against the OpenAPI description", rec.Checked())
	})
	return emu, srv.URL + "/v1"
}

// Refusing returns a loopback address ("127.0.0.1:PORT") where nothing listens, so that a
// connection is refused at once.
func Refusing(t testing.TB) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Silent listens on a loopback port, accepts every connection and never says a word, like a
// host behind a firewall that swallows traffic: requests (and TLS handshakes) time out. It
// returns the address and a count of the connections accepted so far.
func Silent(t testing.TB) (string, func() int) {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return ln.Addr().String(), func() int {
		mu.Lock()
		defer mu.Unlock()
		return len(conns)
	}
}
