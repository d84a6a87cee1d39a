package emulator

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"
)

// mutatingRoute is one request that changes state, and how to see that it did.
type mutatingRoute struct {
	name, method, path, body string
	tookEffect               func(h *harness) bool
}

func mutatingRoutes() []mutatingRoute {
	return []mutatingRoute{
		{"create_image", "POST", "/v1/servers/101/actions/create_image", `{"description":"made anyway"}`, func(h *harness) bool {
			return len(imagesDescribed(h.emu, "made anyway")) == 1
		}},
		{"update image", "PUT", "/v1/images/2001", `{"description":"changed anyway"}`, func(h *harness) bool {
			img, _ := h.emu.Image(2001)
			return img.Description == "changed anyway"
		}},
		{"delete image", "DELETE", "/v1/images/2001", "", func(h *harness) bool {
			_, ok := h.emu.Image(2001)
			return !ok
		}},
		{"change_protection", "POST", "/v1/images/2001/actions/change_protection", `{"delete":true}`, func(h *harness) bool {
			img, _ := h.emu.Image(2001)
			return img.Protection.Delete
		}},
		{"enable_backup", "POST", "/v1/servers/101/actions/enable_backup", "", func(h *harness) bool {
			return serverByID(h.emu, 101).BackupsEnabled
		}},
		{"disable_backup", "POST", "/v1/servers/102/actions/disable_backup", "", func(h *harness) bool {
			return !serverByID(h.emu, 102).BackupsEnabled
		}},
		{"delete server", "DELETE", "/v1/servers/103", "", func(h *harness) bool {
			return serverByID(h.emu, 103).ID == 0
		}},
	}
}

func imagesDescribed(e *Emulator, desc string) []Image {
	var out []Image
	for _, img := range e.Images() {
		if img.Description == desc {
			out = append(out, img)
		}
	}
	return out
}

func serverByID(e *Emulator, id int64) Server {
	for _, s := range e.Servers() {
		if s.ID == id {
			return s
		}
	}
	return Server{}
}

// TestFaultAfter_everyMutatingRouteTakesEffectThenFails stages each processed-then-failed
// answer on each route that changes state: the change is made, and the client hears only of
// the failure (or of nothing).
func TestFaultAfter_everyMutatingRouteTakesEffectThenFails(t *testing.T) {
	variants := []struct {
		name   string
		fault  Fault
		status int    // 0: no answer at all
		ct     string // Content-Type of the answer
	}{
		{"json 500", Fault{When: FaultAfter, Status: 500}, 500, "application/json"},
		{"json 503", Fault{When: FaultAfter, Status: 503, Code: "unavailable", Message: "service temporarily unavailable"}, 503, "application/json"},
		{"html 502", Fault{When: FaultAfter, Status: 502, RawBody: "<html><h1>502 Bad Gateway</h1></html>"}, 502, "text/html; charset=utf-8"},
		{"html 504", Fault{When: FaultAfter, Status: 504, RawBody: "<html><h1>504 Gateway Time-out</h1></html>"}, 504, "text/html; charset=utf-8"},
		{"reset", Fault{When: FaultAfter, Drop: DropAfterProcessing}, 0, ""},
		{"timeout", Fault{When: FaultAfter, Drop: DropAfterProcessing, Delay: time.Hour}, 0, ""},
	}
	for _, rt := range mutatingRoutes() {
		for _, v := range variants {
			t.Run(rt.name+"/"+v.name, func(t *testing.T) {
				h := withListFixtures(t, Options{})
				f := v.fault
				f.Method, f.Path = rt.method, rt.path
				h.emu.FailNext(f)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				if v.fault.Delay > 0 {
					// The client's own timeout fires first: it gives up on a request that took effect.
					cancel()
					ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
				}
				defer cancel()
				res, err := sendCtx(ctx, h, rt.method, rt.path, rt.body)
				switch {
				case v.status == 0 && err == nil:
					t.Fatalf("got HTTP %d, want no answer", res.status)
				case v.status != 0 && err != nil:
					t.Fatalf("no answer: %v", err)
				case v.status != 0 && (res.status != v.status || res.header.Get("Content-Type") != v.ct):
					t.Fatalf("got HTTP %d %q, want %d %q: %s", res.status, res.header.Get("Content-Type"), v.status, v.ct, res.raw)
				}
				if !rt.tookEffect(h) {
					t.Error("the request did not take effect; a fault \"after\" must let it")
				}
			})
		}
	}
}

func TestFaultBefore_mutatingRouteHasNoEffect(t *testing.T) {
	for _, rt := range mutatingRoutes() {
		t.Run(rt.name, func(t *testing.T) {
			h := withListFixtures(t, Options{})
			h.emu.FailNext(Fault{Method: rt.method, Path: rt.path, Status: 503})
			h.do(rt.method, rt.path, rt.body).wantError(t, 503, "unavailable")
			if rt.tookEffect(h) {
				t.Error("a fault before processing let the request take effect")
			}
			// The same request again is answered for real.
			res := h.do(rt.method, rt.path, rt.body)
			if res.status >= 300 {
				t.Fatalf("the request itself failed: %d %s", res.status, res.raw)
			}
			if !rt.tookEffect(h) {
				t.Error("the request did not take effect without the fault")
			}
		})
	}
}

func TestFault_injected429CarriesRateLimitHeadersAndRetryAfterOnlyWhenAsked(t *testing.T) {
	h := newHarness(t, Options{})
	h.emu.FailNext(Fault{Status: 429, Count: 1})
	h.emu.FailNext(Fault{Status: 429, RetryAfter: 7})
	first := h.do("GET", "/v1/images/1001", "")
	first.wantError(t, 429, "rate_limit_exceeded")
	if _, ok := first.header["Retry-After"]; ok {
		t.Errorf("Retry-After %q sent without being asked for", first.header.Get("Retry-After"))
	}
	if got := first.header.Get("RateLimit-Remaining"); got != "0" {
		t.Errorf("RateLimit-Remaining = %q, want 0", got)
	}
	if got, want := first.header.Get("RateLimit-Reset"), itoa(testEpoch.Add(time.Hour).Unix()); got != want {
		t.Errorf("RateLimit-Reset = %s, want %s (an empty nominal bucket refills in an hour)", got, want)
	}
	second := h.do("GET", "/v1/images/1001", "")
	second.wantError(t, 429, "rate_limit_exceeded")
	if got := second.header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After = %q, want 7", got)
	}
}

func sendCtx(ctx context.Context, h *harness, method, path, body string) (result, error) {
	req, err := http.NewRequestWithContext(ctx, method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		return result{}, err
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := h.client.Do(req)
	if err != nil {
		return result{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	var raw strings.Builder
	buf := make([]byte, 4096)
	for {
		n, rerr := resp.Body.Read(buf)
		raw.Write(buf[:n])
		if rerr != nil {
			break
		}
	}
	return result{status: resp.StatusCode, header: resp.Header, raw: []byte(raw.String())}, nil
}
