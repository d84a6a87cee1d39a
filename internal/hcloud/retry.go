package hcloud

// The retry policy: which failed attempts are tried again, how long to back off in between,
// and what each attempt logs. retryablehttp runs the attempts; a 429 is left to send, which
// waits for the request budget instead (budgetwait.go).

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"time"
)

// logRetry is the message of the entry logged when a failed attempt is about to be retried, so
// that a logger can show retries more prominently than the routine request lines.
const logRetry = "API request failed, trying again"

// Requests that get no answer at all (connection refused or reset, a timeout) are tried at most
// transportAttempts times, and not again once transportWindow has passed since the first
// attempt (a resend after a 429 counts afresh): nothing listening at an address rarely starts
// to within seconds, and a user waiting on a plan should hear so soon. With the default backoff
// the waits are about 1, 2 and 4 s. Answers that ask for a retry (409 conflict, 502-504) keep
// the full Retries; a 429 is waited out for as long as the call's deadline allows
// (budgetwait.go).
const (
	transportAttempts = 4
	transportWindow   = 20 * time.Second
)

// checkRetry decides, after each attempt, whether to try again. A request that changes state is
// retried only when the API cannot have processed it: it was never fully sent, or the API said
// so (409 conflict; a 429 is resent too, but by send, which waits for the budget). Any other
// failure after the body was sent, every 5xx included, is reported as errOutcomeUnknown.
func (c *Client) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	st := attemptFrom(ctx)
	c.logAttempt(ctx, st, resp, err)
	retry, err := c.shouldRetry(ctx, st, resp, err)
	if retry && st.runAttempts() <= c.http.RetryMax {
		fields := map[string]any{"level": "warn", "method": st.method, "path": st.path, "endpoint": c.endpoint,
			"attempt": st.attempts, "elapsed_ms": c.now().Sub(st.first).Milliseconds()}
		if err != nil {
			fields["error"] = err.Error()
		} else {
			fields["status"] = resp.StatusCode
		}
		c.log(ctx, logRetry, fields)
	}
	return retry, err
}

func (c *Client) shouldRetry(ctx context.Context, st *attempt, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		if !st.idempotent && st.wrote.Load() {
			// Cancelled (a timeout, Ctrl-C) after the request went out: it may have been done.
			return false, &outcomeUnknownError{op: st.method + " " + st.path, cause: ctx.Err()}
		}
		return false, ctx.Err()
	}
	if err != nil {
		// A certificate that does not verify will not verify on the next attempt either.
		var verifyErr *tls.CertificateVerificationError
		var authorityErr x509.UnknownAuthorityError
		var hostErr x509.HostnameError
		if errors.As(err, &verifyErr) || errors.As(err, &authorityErr) || errors.As(err, &hostErr) {
			return false, err
		}
		// Nor will a name that the DNS says does not exist.
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) && dnsErr.IsNotFound {
			return false, err
		}
		if !st.idempotent && st.wrote.Load() {
			return false, &outcomeUnknownError{op: st.method + " " + st.path, cause: err}
		}
		return st.runAttempts() < transportAttempts && c.now().Sub(st.runFirst) < transportWindow, err
	}
	c.rememberRateLimit(resp)

	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		// Not processed, so safe to resend; but on the budget's schedule, not retryablehttp's
		// (send waits it out).
		return false, nil
	case resp.StatusCode == http.StatusConflict:
		return errorCode(resp) == CodeConflict, nil
	case resp.StatusCode >= 500 && !st.idempotent:
		// The API can do the work and still answer 5xx (a create answered "unavailable" has
		// left its snapshot behind), so a request that changes state is never resent on one.
		return false, &outcomeUnknownError{
			op:    st.method + " " + st.path,
			cause: fmt.Errorf("HTTP %d %s", resp.StatusCode, cmp.Or(errorCode(resp), "without an API error")),
		}
	case resp.StatusCode == http.StatusBadGateway, resp.StatusCode == http.StatusServiceUnavailable,
		resp.StatusCode == http.StatusGatewayTimeout:
		return st.idempotent, nil
	}
	return false, nil
}

// errorCode peeks at the API error code of a response and leaves the body readable.
func errorCode(resp *http.Response) string {
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(data))
	if err != nil || !isJSON(resp.Header) {
		return ""
	}
	var body struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	_ = json.Unmarshal(data, &body)
	return body.Error.Code
}

func (c *Client) logAttempt(ctx context.Context, st *attempt, resp *http.Response, err error) {
	fields := map[string]any{
		"method":      st.method,
		"path":        st.path,
		"duration_ms": c.now().Sub(st.started).Milliseconds(),
	}
	if err != nil {
		fields["error"] = err.Error()
		c.log(ctx, "API request failed", fields)
		return
	}
	fields["status"] = resp.StatusCode
	if r := resp.Header.Get("RateLimit-Remaining"); r != "" {
		fields["ratelimit_remaining"] = r
	}
	if id := resp.Header.Get("X-Correlation-Id"); id != "" {
		fields["correlation_id"] = id
	}
	c.log(ctx, "API request", fields)
}

// backoff waits exponentially longer after each failed attempt, with jitter so that parallel
// callers do not return in step. A 429 is not retried here but waited out on the budget
// (budgetwait.go); backoff serves it only when its answer lacks the RateLimit headers.
func (c *Client) backoff(minWait, maxWait time.Duration, attemptNum int, _ *http.Response) time.Duration {
	d := minWait << min(attemptNum, 20)
	if d <= 0 || d > maxWait {
		d = maxWait
	}
	return d/2 + rand.N(d/2+1) //nolint:gosec // G404: jitter, not a secret
}
