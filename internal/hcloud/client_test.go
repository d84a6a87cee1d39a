package hcloud_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/emulatortest"
	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// newClient returns a client of a fresh emulator, with short waits so that retries and
// polling take milliseconds.
func newClient(t *testing.T, opts emulator.Options) (*hcloud.Client, *emulator.Emulator) {
	t.Helper()
	emu, endpoint := emulatortest.Start(t, opts)
	c := newLoggedClient(hcloud.Options{
		Endpoint:     endpoint,
		Token:        emulatortest.Token,
		UserAgent:    "terraform-provider-hetzner/test",
		PollInterval: 10 * time.Millisecond,
		RetryWaitMin: 5 * time.Millisecond,
		RetryWaitMax: 20 * time.Millisecond,
	})
	return c, emu
}

func TestGetImage_returnsTheImage(t *testing.T) {
	c, _ := newClient(t, emulator.Options{})
	img, err := c.GetImage(context.Background(), emulator.SeedImageDebian12ARM)
	if err != nil {
		t.Fatal(err)
	}
	if img.Name != "debian-12" || img.Architecture != "arm" || img.Type != hcloud.ImageTypeSystem {
		t.Errorf("got %s %s %s, want debian-12 arm system", img.Name, img.Architecture, img.Type)
	}
}

func TestGetImage_unknownIDIsTypedNotFound(t *testing.T) {
	c, _ := newClient(t, emulator.Options{})
	_, err := c.GetImage(context.Background(), 999999)
	if !hcloud.IsNotFound(err) {
		t.Fatalf("err = %v, want not_found", err)
	}
	var apiErr *hcloud.APIError
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.CorrelationID == "" {
		t.Errorf("err = %#v, want an APIError with status 404 and a correlation id", err)
	}
}

func TestAllImages_filtersAndSorts(t *testing.T) {
	c, _ := newClient(t, emulator.Options{})
	images, err := c.AllImages(context.Background(), hcloud.ImageListOpts{
		Types: []hcloud.ImageType{hcloud.ImageTypeSystem}, Architectures: []string{"arm"}, Sort: []string{"name:desc"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, img := range images {
		names = append(names, img.Name+"/"+img.Architecture)
	}
	if got := strings.Join(names, ","); got != "ubuntu-24.04/arm,debian-12/arm" {
		t.Errorf("got %s", got)
	}
}

func TestAllImages_deprecatedOnlyWhenAsked(t *testing.T) {
	c, _ := newClient(t, emulator.Options{})
	for _, include := range []bool{false, true} {
		images, err := c.AllImages(context.Background(), hcloud.ImageListOpts{Name: "ubuntu-20.04", IncludeDeprecated: include})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int{false: 0, true: 1}[include]; len(images) != want {
			t.Errorf("include_deprecated=%t: %d images, want %d", include, len(images), want)
		}
	}
}

func TestAllImages_walksEveryPageAtFiftyPerRequest(t *testing.T) {
	c, emu := newClient(t, emulator.Options{NoSeed: true})
	for i := range 123 {
		emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Description: fmt.Sprint("s", i),
			Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 10, Labels: map[string]string{"n": fmt.Sprint(i % 2)}})
	}
	images, err := c.AllImages(context.Background(), hcloud.ImageListOpts{Types: []hcloud.ImageType{hcloud.ImageTypeSnapshot}})
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 123 {
		t.Errorf("got %d images, want 123", len(images))
	}
	if n := emu.RequestCount("GET", "/v1/images"); n != 3 {
		t.Errorf("%d list requests, want ceil(123/50) = 3", n)
	}
	odd, err := c.AllImages(context.Background(), hcloud.ImageListOpts{LabelSelector: "n=1"})
	if err != nil || len(odd) != 61 {
		t.Errorf("label_selector n=1: %d images, err %v; want 61", len(odd), err)
	}
}

func TestCreateImage_waitsForTheActionAndReportsProgress(t *testing.T) {
	c, emu := newClient(t, emulator.Options{ActionDuration: 200 * time.Millisecond})
	ctx := context.Background()
	desc := "before upgrade"
	img, action, err := c.CreateImage(ctx, emulator.SeedServerNoBackups, hcloud.CreateImageOpts{
		Type: "snapshot", Description: &desc, Labels: map[string]string{"env": "prod"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if img.Status != hcloud.ImageStatusCreating || action.Status != hcloud.ActionStatusRunning {
		t.Fatalf("image %s, action %s; want creating and running", img.Status, action.Status)
	}
	var seen []int
	if err := c.WaitForActions(ctx, func(a hcloud.ActionProgress) { seen = append(seen, a.Progress) }, action); err != nil {
		t.Fatal(err)
	}
	if len(seen) < 2 || seen[len(seen)-1] != 100 {
		t.Errorf("progress reports %v, want several ending at 100", seen)
	}
	got, ok := emu.Image(img.ID)
	if !ok || got.Status != "available" || got.Description != desc || got.Labels["env"] != "prod" {
		t.Errorf("emulator holds %+v, want an available image with the description and labels", got)
	}
}

func TestWaitForActions_returnsTheActionsError(t *testing.T) {
	c, emu := newClient(t, emulator.Options{ActionDuration: 20 * time.Millisecond})
	emu.FailNextAction("create_image", "image_failed", "disk read error")
	_, action, err := c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{})
	if err != nil {
		t.Fatal(err)
	}
	err = c.WaitForActions(context.Background(), nil, action)
	var actionErr *hcloud.ActionError
	if !errors.As(err, &actionErr) || actionErr.Code != "image_failed" || actionErr.Message != "disk read error" {
		t.Fatalf("err = %v, want the action's error image_failed", err)
	}
}

func TestWaitForActions_honoursTheDeadline(t *testing.T) {
	c, _ := newClient(t, emulator.Options{ActionDuration: time.Hour})
	_, action, err := c.CreateImage(context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.WaitForActions(ctx, nil, action); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the context's deadline", err)
	}
}

func TestUpdateImage_labelsReplaceTheWholeSet(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	snap := emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Architecture: "x86", OSFlavor: "ubuntu",
		DiskSize: 10, Labels: map[string]string{"a": "1", "b": "2"}})
	ctx := context.Background()
	img, err := c.UpdateImage(ctx, snap.ID, hcloud.ImageUpdateOpts{Labels: map[string]string{"c": "3"}})
	if err != nil || len(img.Labels) != 1 || img.Labels["c"] != "3" {
		t.Fatalf("labels %v, err %v; want only c=3", img.Labels, err)
	}
	img, err = c.UpdateImage(ctx, snap.ID, hcloud.ImageUpdateOpts{Labels: map[string]string{}})
	if err != nil || len(img.Labels) != 0 {
		t.Fatalf("labels %v, err %v; want none after sending {}", img.Labels, err)
	}
	desc := ""
	img, err = c.UpdateImage(ctx, snap.ID, hcloud.ImageUpdateOpts{Description: &desc})
	if err != nil || img.Description != "" {
		t.Fatalf("description %q, err %v; want it cleared", img.Description, err)
	}
}

func TestUpdateImage_invalidLabelNamesTheField(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	snap := emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 10})
	_, err := c.UpdateImage(context.Background(), snap.ID, hcloud.ImageUpdateOpts{Labels: map[string]string{"-bad": "x"}})
	var apiErr *hcloud.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != hcloud.CodeInvalidInput || len(apiErr.Fields) == 0 || apiErr.Fields[0].Name == "" {
		t.Fatalf("err = %#v, want invalid_input with field details", err)
	}
}

func TestProtection_refusesDeleteUntilLifted(t *testing.T) {
	c, emu := newClient(t, emulator.Options{ActionDuration: 20 * time.Millisecond})
	ctx := context.Background()
	snap := emu.AddImage(emulator.Image{Type: "snapshot", Status: "available", Architecture: "x86", OSFlavor: "ubuntu", DiskSize: 10})
	for _, protect := range []bool{true, false} {
		if err := c.SetImageProtection(ctx, snap.ID, protect); err != nil {
			t.Fatal(err)
		}
		err := c.DeleteImage(ctx, snap.ID)
		if protect && !hcloud.IsAPIError(err, hcloud.CodeProtected) {
			t.Fatalf("delete of a protected image: err = %v, want protected", err)
		}
		if !protect && err != nil {
			t.Fatalf("delete after lifting protection: %v", err)
		}
	}
	if _, ok := emu.Image(snap.ID); ok {
		t.Error("the image still exists in the emulator")
	}
}

func TestRetries(t *testing.T) {
	cases := []struct {
		name      string
		fault     emulator.Fault
		call      func(*hcloud.Client) error
		wantErr   func(error) bool
		requests  int // requests the emulator saw in all
		wantImage bool
	}{
		{
			name:     "GET is retried after 503",
			fault:    emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Count: 2, Status: 503, Code: "unavailable"},
			call:     getSeeded,
			requests: 3,
		},
		{
			name:     "GET is retried after a proxy's 502 page",
			fault:    emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Status: 502, RawBody: "<html>Bad Gateway</html>"},
			call:     getSeeded,
			requests: 2,
		},
		{
			name:     "GET is retried after a dropped connection",
			fault:    emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Drop: emulator.DropBeforeProcessing},
			call:     getSeeded,
			requests: 2,
		},
		{
			name:     "GET gives up after the retries with the API's error",
			fault:    emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Count: 10, Status: 504, Code: "timeout"},
			call:     getSeeded,
			wantErr:  func(err error) bool { return hcloud.IsAPIError(err, "timeout") },
			requests: 6,
		},
		{
			name:      "POST is retried after 409 conflict",
			fault:     emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 409, Code: "conflict"},
			call:      createSnapshot,
			requests:  2,
			wantImage: true,
		},
		{
			name:      "POST is retried after 429",
			fault:     emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 429, Code: "rate_limit_exceeded"},
			call:      createSnapshot,
			requests:  2,
			wantImage: true,
		},
		{
			name:     "POST is not resent after a 502 page",
			fault:    emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 502, RawBody: "<html>Bad Gateway</html>"},
			call:     createSnapshot,
			wantErr:  hcloud.IsOutcomeUnknown,
			requests: 1,
		},
		{
			name:      "POST whose answer is lost is not resent",
			fault:     emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Drop: emulator.DropAfterProcessing},
			call:      createSnapshot,
			wantErr:   hcloud.IsOutcomeUnknown,
			requests:  1,
			wantImage: true,
		},
		{
			name:      "POST is not resent after a JSON 503 when the API did the work",
			fault:     emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", When: emulator.FaultAfter, Status: 503, Code: "unavailable"},
			call:      createSnapshot,
			wantErr:   hcloud.IsOutcomeUnknown,
			requests:  1,
			wantImage: true,
		},
		{
			name:     "POST is not resent after a JSON 503 before the API did anything",
			fault:    emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 503, Code: "unavailable"},
			call:     createSnapshot,
			wantErr:  hcloud.IsOutcomeUnknown,
			requests: 1,
		},
		{
			name:      "POST is not resent after a JSON 500 when the API did the work",
			fault:     emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", When: emulator.FaultAfter, Status: 500},
			call:      createSnapshot,
			wantErr:   hcloud.IsOutcomeUnknown,
			requests:  1,
			wantImage: true,
		},
		{
			name:      "POST is not resent after a proxy's 504 page when the API did the work",
			fault:     emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", When: emulator.FaultAfter, Status: 504, RawBody: "<html>Gateway Time-out</html>"},
			call:      createSnapshot,
			wantErr:   hcloud.IsOutcomeUnknown,
			requests:  1,
			wantImage: true,
		},
		{
			name:     "locked is the caller's to handle",
			fault:    emulator.Fault{Method: "POST", Path: "/v1/servers/{id}/actions/create_image", Status: 423, Code: "locked"},
			call:     createSnapshot,
			wantErr:  func(err error) bool { return hcloud.IsAPIError(err, hcloud.CodeLocked) },
			requests: 1,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, emu := newClient(t, emulator.Options{})
			emu.FailNext(tc.fault)
			err := tc.call(c)
			switch {
			case tc.wantErr == nil && err != nil:
				t.Fatalf("err = %v, want success", err)
			case tc.wantErr != nil && !tc.wantErr(err):
				t.Fatalf("err = %v, not the expected kind", err)
			}
			if n := emu.TotalRequests(); n != tc.requests {
				t.Errorf("the emulator saw %d requests, want %d", n, tc.requests)
			}
			if got := countSnapshots(emu); got != map[bool]int{false: 0, true: 1}[tc.wantImage] {
				t.Errorf("the emulator holds %d snapshots, want image=%t", got, tc.wantImage)
			}
		})
	}
}

func getSeeded(c *hcloud.Client) error {
	_, err := c.GetImage(context.Background(), emulator.SeedImageUbuntu2404)
	return err
}

// createSnapshot sends one create request: these cases are about the HTTP-level retries of
// a single POST, below CreateImage's reconciliation of lost answers.
func createSnapshot(c *hcloud.Client) error {
	_, _, err := hcloud.CreateImageRequest(c, context.Background(), emulator.SeedServerNoBackups, hcloud.CreateImageOpts{Type: "snapshot"})
	return err
}

func countSnapshots(emu *emulator.Emulator) int {
	return len(emu.ImagesOfType(emulator.ImageTypeSnapshot))
}

func TestRateLimit_waitsAsTheAPIAsks(t *testing.T) {
	emu, endpoint := emulatortest.Start(t, emulator.Options{RateLimit: 3600, RateBurst: 2})
	// Another tool of the same project spends the budget; this client, which has not seen it
	// yet and so cannot pace, meets a 429 and must wait as the API asks.
	other := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token})
	for range 2 {
		if err := getSeeded(other); err != nil {
			t.Fatal(err)
		}
	}
	c := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token, RetryWaitMin: 5 * time.Millisecond, RetryWaitMax: 20 * time.Millisecond})
	if err := getSeeded(c); err != nil {
		t.Fatalf("a rate-limited request was not retried to success: %v", err)
	}
	if n := emu.RequestCount("GET", "/v1/images/{id}"); n < 4 {
		t.Errorf("%d requests; want at least one answered 429 and retried", n)
	}
	if limit := hcloud.BudgetLimit(c); limit != 3600 {
		t.Errorf("the client learnt a limit of %d requests an hour, want the API's 3600", limit)
	}
}

func TestTransportFailure_isNotAnAPIErrorAndHidesTheToken(t *testing.T) {
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close() // nothing listens here any more
	c := hcloud.New(hcloud.Options{Endpoint: "http://" + addr + "/v1", Token: emulatortest.Token, Retries: -1})
	_, err = c.GetImage(context.Background(), 1)
	var apiErr *hcloud.APIError
	if err == nil || errors.As(err, &apiErr) || hcloud.IsOutcomeUnknown(err) {
		t.Fatalf("err = %v, want a plain transport error", err)
	}
	if strings.Contains(err.Error(), emulatortest.Token) {
		t.Error("the error shows the token")
	}
}

func TestRequests_carryTokenUserAgentAndNoSecretInLogs(t *testing.T) {
	var mu sync.Mutex
	var agents []string
	emu, endpoint := emulatortest.Start(t, emulator.Options{OnResponse: func(r *http.Request, _ int, _ http.Header, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		agents = append(agents, r.UserAgent())
	}})
	var logs []string
	c := hcloud.New(hcloud.Options{Endpoint: endpoint, Token: emulatortest.Token, UserAgent: "terraform-provider-hetzner/1.2.3",
		Log: func(_ context.Context, msg string, fields map[string]any) {
			logs = append(logs, fmt.Sprint(msg, fields))
		}})
	if err := getSeeded(c); err != nil {
		t.Fatal(err)
	}
	_ = emu
	if len(agents) != 1 || agents[0] != "terraform-provider-hetzner/1.2.3" {
		t.Errorf("User-Agent %v", agents)
	}
	if len(logs) != 1 || !strings.Contains(logs[0], "status:200") || !strings.Contains(logs[0], "ratelimit_remaining") {
		t.Errorf("log lines %v, want one with status and rate limit", logs)
	}
	for _, l := range logs {
		if strings.Contains(l, emulatortest.Token) {
			t.Error("a log line shows the token")
		}
	}
}

func TestTLS_anUntrustedCertificateIsRefusedNotRetried(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	srv := httptest.NewTLSServer(emu) // a self-signed certificate that nothing trusts
	defer srv.Close()
	attempts := 0
	c := hcloud.New(hcloud.Options{Endpoint: srv.URL + "/v1", Token: emulatortest.Token, RetryWaitMin: time.Millisecond,
		Log: func(context.Context, string, map[string]any) { attempts++ }})
	_, err := c.GetImage(context.Background(), emulator.SeedImageUbuntu2404)
	if attempts != 1 {
		t.Errorf("%d attempts, want 1: a certificate that does not verify is not retried", attempts)
	}
	var unknownAuthority x509.UnknownAuthorityError
	if !errors.As(err, &unknownAuthority) {
		t.Fatalf("err = %v, want the certificate refused", err)
	}
	if n := emu.TotalRequests(); n != 0 {
		t.Errorf("the emulator answered %d requests through an untrusted connection", n)
	}
}

func TestErrorPage_neverQuotesTheToken(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.FailNext(emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Count: 10, Status: http.StatusForbidden,
		RawBody: "<html>denied: Authorization: Bearer " + emulatortest.Token + "</html>"})
	err := getSeeded(c)
	var statusErr *hcloud.StatusError
	if !errors.As(err, &statusErr) || statusErr.StatusCode != http.StatusForbidden {
		t.Fatalf("err = %v, want the 403 page", err)
	}
	if strings.Contains(err.Error(), emulatortest.Token) || !strings.Contains(err.Error(), "[token]") {
		t.Errorf("the error quotes the token or does not say it was removed: %v", err)
	}
}

func TestAPIError_neverQuotesTheToken(t *testing.T) {
	c, emu := newClient(t, emulator.Options{})
	emu.FailNext(emulator.Fault{Method: "GET", Path: "/v1/images/{id}", Count: 10, Status: http.StatusForbidden,
		Code: "forbidden", Message: "not allowed for Authorization: Bearer " + emulatortest.Token})
	err := getSeeded(c)
	var apiErr *hcloud.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != "forbidden" {
		t.Fatalf("err = %v, want the API's forbidden error", err)
	}
	if strings.Contains(err.Error(), emulatortest.Token) || !strings.Contains(apiErr.Message, "[token]") {
		t.Errorf("the error quotes the token or does not say it was removed: %v", err)
	}
}
