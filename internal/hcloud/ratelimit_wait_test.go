package hcloud_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/hcloud"
)

// The API is not documented to send Retry-After, so a 429 is usually waited out from the
// RateLimit-* headers: one request's worth of refill, whatever the size of the bucket.
func TestRateLimitWait_fromTheHeaders(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	header := func(limit, remaining int, resetIn time.Duration, retryAfter string) http.Header {
		h := http.Header{}
		h.Set("RateLimit-Limit", strconv.Itoa(limit))
		h.Set("RateLimit-Remaining", strconv.Itoa(remaining))
		h.Set("RateLimit-Reset", strconv.FormatInt(now.Add(resetIn).Unix(), 10))
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return h
	}
	tests := []struct {
		name   string
		header http.Header
		want   time.Duration
		ok     bool
	}{
		{"empty full-size bucket: one refill", header(3600, 0, time.Hour, ""), time.Second, true},
		{"empty small bucket: one refill, not reset/limit", header(3600, 0, 2*time.Second, ""), time.Second, true},
		{"slow refill", header(360, 0, time.Hour, ""), 10 * time.Second, true},
		{"full again sooner than one refill", header(3600, 0, 0, ""), 0, true},
		{"Retry-After wins when sent", header(3600, 0, time.Hour, "7"), 7 * time.Second, true},
		{"no rate-limit headers: back off instead", http.Header{}, 0, false},
		{"a limit of 0 (a proxy's headers): back off instead", header(0, -1, time.Hour, ""), 0, false},
		{"a negative count: back off instead", header(3600, -5, time.Hour, ""), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := hcloud.RateLimitWait(tt.header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("wait %v %t, want %v %t", got, ok, tt.want, tt.ok)
			}
		})
	}
}
