package hcloud_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// retryLog counts the client's log entries: every attempt, and the retries among them.
type retryLog struct {
	mu                sync.Mutex
	attempts, retries int
}

func (l *retryLog) log(_ context.Context, msg string, _ map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if msg == hcloud.LogRetry {
		l.retries++
	} else {
		l.attempts++
	}
}

func TestTransport_refusedConnectionIsTriedFourTimesWithALogLinePerRetry(t *testing.T) {
	endpoint := "http://" + emulatortest.Refusing(t) + "/v1"
	for _, call := range []struct {
		name string
		do   func(c *hcloud.Client) error
	}{
		{"read", func(c *hcloud.Client) error { _, err := c.GetImage(context.Background(), 1); return err }},
		// A create that never reached anything is safe to send again and is not "outcome unknown".
		{"create", func(c *hcloud.Client) error {
			_, _, err := c.CreateImage(context.Background(), 101, hcloud.CreateImageOpts{})
			return err
		}},
	} {
		t.Run(call.name, func(t *testing.T) {
			var log retryLog
			c := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token,
				RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond, Log: log.log})
			err := call.do(c)
			var te *hcloud.TransportError
			if !errors.As(err, &te) || !errors.Is(err, syscall.ECONNREFUSED) || hcloud.IsOutcomeUnknown(err) {
				t.Fatalf("err = %v, want a TransportError for a refused connection", err)
			}
			if te.Attempts != 4 || te.Endpoint != endpoint || te.Elapsed <= 0 {
				t.Errorf("attempts %d, endpoint %q, elapsed %s; want 4 attempts at %s", te.Attempts, te.Endpoint, te.Elapsed, endpoint)
			}
			if log.attempts != 4 || log.retries != 3 {
				t.Errorf("logged %d attempts and %d retries, want 4 and 3", log.attempts, log.retries)
			}
		})
	}
}

func TestTransport_unknownHostNameIsNotRetried(t *testing.T) {
	var log retryLog
	transport := &http.Transport{DialContext: func(context.Context, string, string) (net.Conn, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "api.example.invalid", IsNotFound: true}}
	}}
	c := hcloud.New(hcloud.Options{Endpoint: "https://api.example.invalid/v1", Token: emulatortest.Token,
		RetryWaitMin: time.Millisecond, HTTPClient: &http.Client{Transport: transport}, Log: log.log})
	_, err := c.GetImage(context.Background(), 1)
	var te *hcloud.TransportError
	var dnsErr *net.DNSError
	if !errors.As(err, &te) || !errors.As(err, &dnsErr) || te.Attempts != 1 || log.retries != 0 {
		t.Fatalf("err = %v (retries logged %d), want a TransportError with the DNS error after 1 attempt", err, log.retries)
	}
}

func TestTransport_silentServerTimesOutAndIsRetriedWithinTheBound(t *testing.T) {
	addr, accepted := emulatortest.Silent(t)
	c := hcloud.New(hcloud.Options{Endpoint: "http://" + addr + "/v1", Token: emulatortest.Token,
		RetryWaitMin: time.Millisecond, RetryWaitMax: 2 * time.Millisecond, RequestTimeout: 20 * time.Millisecond})
	_, err := c.GetImage(context.Background(), 1)
	var te *hcloud.TransportError
	var netErr net.Error
	if !errors.As(err, &te) || !errors.As(err, &netErr) || !netErr.Timeout() {
		t.Fatalf("err = %v, want a TransportError that timed out", err)
	}
	// The listener may not have taken the last connection off its queue yet: at most 4.
	if te.Attempts != 4 || accepted() > 4 {
		t.Errorf("%d attempts reported, %d connections accepted; want 4 and at most 4", te.Attempts, accepted())
	}
}

func TestStatusError_pageWithStatus200IsNotTakenForTheAPI(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.FailNext(emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Status: http.StatusOK,
		RawBody: "<html><head><title>Guest Wi-Fi</title></head><body>Please sign in</body></html>"})
	err := getSeeded(c)
	var statusErr *hcloud.StatusError
	if !errors.As(err, &statusErr) || statusErr.StatusCode != http.StatusOK || statusErr.Attempts != 1 ||
		statusErr.ContentType != "text/html; charset=utf-8" || statusErr.Method != http.MethodGet {
		t.Fatalf("err = %#v, want a StatusError for the page", err)
	}
}

func TestAPIError_unavailableCarriesTheAttempts(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.FailNext(emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Count: 100, Status: http.StatusServiceUnavailable})
	err := getSeeded(c)
	var apiErr *hcloud.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != hcloud.CodeUnavailable || apiErr.Attempts != 6 || apiErr.Method != http.MethodGet {
		t.Fatalf("err = %#v, want 503 unavailable after 6 attempts", err)
	}
	if n := emu.RequestCount("GET", "/v1/images/{id}"); n != 6 {
		t.Errorf("%d requests, want 6", n)
	}
}

func TestAnnotate_wrapsEveryErrorAndKeepsItsType(t *testing.T) {
	_, endpoint := emulatortest.Start(t, emulator.Options{})
	c := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token,
		Annotate: func(err error) error { return fmt.Errorf("annotated: %w", err) }})
	_, err := c.GetImage(context.Background(), 999999)
	if err == nil || !strings.HasPrefix(err.Error(), "annotated: ") || !hcloud.IsNotFound(err) {
		t.Fatalf("err = %v, want the not_found error annotated", err)
	}
}

// A create the API keeps answering 503 is sent a bounded number of times, each after a search
// for an image the previous one might have made, and fails saying so rather than waiting out
// the create timeout.
func TestCreateImage_unavailableAPIIsAskedFourTimesAndNothingIsDoubled(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.FailNext(emulator.Fault{Method: http.MethodPost, Path: "/v1/servers/{id}/actions/create_image", Count: 100,
		Status: http.StatusServiceUnavailable, Code: "unavailable"})
	_, _, err := c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{})
	var unavailable *hcloud.UnavailableCreateError
	var apiErr *hcloud.APIError
	if !errors.As(err, &unavailable) || hcloud.IsOutcomeUnknown(err) || !errors.As(err, &apiErr) || apiErr.Code != hcloud.CodeUnavailable {
		t.Fatalf("err = %v, want an UnavailableCreateError with the API's 503, not an unknown outcome", err)
	}
	if unavailable.Requests != 4 {
		t.Errorf("%d requests reported, want 4", unavailable.Requests)
	}
	if n := emu.RequestCount(http.MethodPost, "/v1/servers/{id}/actions/create_image"); n != 4 {
		t.Errorf("%d create requests, want 4", n)
	}
	if n := emu.RequestCount(http.MethodGet, "/v1/images"); n < 4 {
		t.Errorf("%d searches for the image, want one after each of the 4 answers", n)
	}
	if imgs := emu.ImagesOfType("snapshot"); len(imgs) != 0 {
		t.Errorf("images made: %v", imgs)
	}
}

// When one of those answers came after the API made the image, the search adopts it.
func TestCreateImage_imageMadeDespiteA503IsAdoptedNotDoubled(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.FailNext(emulator.Fault{Method: http.MethodPost, Path: "/v1/servers/{id}/actions/create_image",
		Status: http.StatusServiceUnavailable, Code: "unavailable", When: emulator.FaultAfter})
	img, _, err := c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{})
	if err != nil {
		t.Fatal(err)
	}
	if imgs := emu.ImagesOfType("snapshot"); len(imgs) != 1 || imgs[0].ID != img.ID {
		t.Errorf("images %v, want only the adopted %d", imgs, img.ID)
	}
}
