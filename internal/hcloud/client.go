// Package hcloud is the provider's thin client for the Hetzner Cloud API: images, the server
// action that creates them, and actions. It knows nothing of Terraform; every API call of the
// provider goes through it.
package hcloud

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-cleanhttp"
	"github.com/hashicorp/go-retryablehttp"
)

// DefaultEndpoint is the public Hetzner Cloud API.
const DefaultEndpoint = "https://api.hetzner.cloud/v1"

// LogFunc receives one entry per HTTP attempt and one per wait the client decides on (a busy
// image or server, a lost answer, the request budget, the start and end of polling). It never
// receives the token or any header. A "level" field of "info" or "warn" marks the few entries
// a user waiting for an apply wants to see (what holds a busy server or image; a lost create
// answer, warn; a retry, message logRetry); the rest are debug detail.
type LogFunc func(ctx context.Context, msg string, fields map[string]any)

// Options configure a Client. Zero values take the documented defaults.
type Options struct {
	Endpoint  string // default DefaultEndpoint
	Token     string
	UserAgent string

	// PollInterval is the shortest wait between two checks of running actions (default 500ms).
	PollInterval time.Duration

	// Retries is how often a retryable request is tried again: 0 means 5, negative means never.
	Retries int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff (defaults 1s and 30s). Waits
	// for a rate limit follow the API's headers instead.
	RetryWaitMin, RetryWaitMax time.Duration
	// RequestTimeout bounds one HTTP attempt (default 60s).
	RequestTimeout time.Duration

	HTTPClient *http.Client // default: a pooled client with RequestTimeout
	Log        LogFunc

	// Annotate, when set, wraps every error a request returns. The provider uses it to attach
	// where the token and the endpoint came from, which the client does not know.
	Annotate func(error) error
}

// Client talks to the API. It is safe for concurrent use.
type Client struct {
	endpoint     string
	token        string
	userAgent    string
	pollInterval time.Duration
	log          LogFunc
	annotate     func(error) error
	http         *retryablehttp.Client

	// sleep waits for d or until ctx ends; tests replace it to drive a fake clock.
	sleep func(ctx context.Context, d time.Duration) error
	now   func() time.Time

	budget  budget
	waits   budgetWaits
	poller  poller
	owned   owned
	refresh refresher
	created createdReads
}

// Now is the time on the client's clock, the one its waits run on.
func (c *Client) Now() time.Time { return c.now() }

// New returns a client for the given options.
func New(opts Options) *Client {
	c := &Client{
		endpoint:     strings.TrimRight(opts.Endpoint, "/"),
		token:        opts.Token,
		userAgent:    opts.UserAgent,
		pollInterval: opts.PollInterval,
		log:          opts.Log,
		annotate:     opts.Annotate,
		sleep:        sleepContext,
		now:          time.Now,
	}
	c.poller.c = c
	if c.endpoint == "" {
		c.endpoint = DefaultEndpoint
	}
	if c.pollInterval <= 0 {
		c.pollInterval = 500 * time.Millisecond
	}
	if c.log == nil {
		c.log = func(context.Context, string, map[string]any) {}
	}

	rc := retryablehttp.NewClient()
	rc.Logger = nil // every attempt is logged by checkRetry, through LogFunc
	rc.HTTPClient = opts.HTTPClient
	if rc.HTTPClient == nil {
		rc.HTTPClient = cleanhttp.DefaultPooledClient()
		rc.HTTPClient.Timeout = cmp.Or(opts.RequestTimeout, 60*time.Second)
	}
	switch {
	case opts.Retries == 0:
		rc.RetryMax = 5
	case opts.Retries < 0:
		rc.RetryMax = 0
	default:
		rc.RetryMax = opts.Retries
	}
	rc.RetryWaitMin = cmp.Or(opts.RetryWaitMin, time.Second)
	rc.RetryWaitMax = cmp.Or(opts.RetryWaitMax, 30*time.Second)
	rc.CheckRetry = c.checkRetry
	rc.Backoff = c.backoff
	rc.RequestLogHook = func(_ retryablehttp.Logger, r *http.Request, _ int) {
		if st := attemptFrom(r.Context()); st != nil {
			st.wrote.Store(false)
			st.started = c.now()
			st.attempts++
		}
	}
	// Return the last answer as it is, so that an exhausted retry of a 429 still yields the API's
	// own error rather than retryablehttp's "giving up" text.
	rc.ErrorHandler = retryablehttp.PassthroughErrorHandler
	c.http = rc
	return c
}

// attempt carries what checkRetry needs to know about a call across its attempts.
type attempt struct {
	method, path string
	idempotent   bool
	wrote        atomic.Bool // the request, body included, was written to the connection
	started      time.Time   // of the current attempt
	first        time.Time   // of the first attempt
	attempts     int         // attempts so far; only the goroutine running the call touches it
	// A resend after a 429 starts a new run of retryablehttp's attempts, whose transport
	// retries and retry warnings count from the run's start, not the call's.
	runFirst time.Time // of the first attempt of the current run
	runBase  int       // attempts before the current run
	refusals int       // answers 429 so far
}

// runAttempts counts the attempts of the current run.
func (st *attempt) runAttempts() int { return st.attempts - st.runBase }

type attemptKey struct{}

func attemptFrom(ctx context.Context) *attempt {
	st, _ := ctx.Value(attemptKey{}).(*attempt)
	return st
}

// do sends one API call and decodes the JSON answer into out (when out is not nil).
func (c *Client) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	return c.annotated(c.send(ctx, method, path, query, body, out))
}

// annotated applies Options.Annotate to an error the client returns.
func (c *Client) annotated(err error) error {
	if err != nil && c.annotate != nil {
		return c.annotate(err)
	}
	return err
}

func (c *Client) send(ctx context.Context, method, path string, query url.Values, body, out any) error {
	st := &attempt{method: method, path: path, idempotent: method != http.MethodPost}
	ctx = context.WithValue(ctx, attemptKey{}, st)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		WroteRequest: func(info httptrace.WroteRequestInfo) {
			if info.Err == nil {
				st.wrote.Store(true)
			}
		},
	})

	u := c.endpoint + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	var raw any
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s %s: encoding the request: %w", method, path, err)
		}
		raw = b
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, u, raw)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("User-Agent", c.userAgent)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	release, err := c.takeBudget(ctx, st)
	if err != nil {
		return err
	}
	defer release()
	st.first = c.now()
	resp, err := c.doAccepted(ctx, req, st)
	if resp != nil {
		defer func() { _ = resp.Body.Close() }()
	}
	if err != nil {
		var unknown *outcomeUnknownError
		switch {
		case errors.Is(err, errBudgetWait):
			return err
		case errors.As(err, &unknown):
			if resp != nil && resp.StatusCode >= 500 {
				// Something answered: keep what it said (the API's code, or a proxy's page).
				if data, rerr := io.ReadAll(resp.Body); rerr == nil {
					unknown.cause = c.decodeError(resp, data, st)
				}
			}
			return err
		case ctx.Err() != nil:
			return fmt.Errorf("%s %s: %w", method, path, ctx.Err())
		default:
			return &TransportError{Method: method, Path: path, Endpoint: c.endpoint,
				Attempts: st.attempts, Elapsed: c.now().Sub(st.first), Err: unwrapURLError(err)}
		}
	}

	data, err := io.ReadAll(resp.Body)
	if err != nil {
		if !st.idempotent {
			return &outcomeUnknownError{op: method + " " + path, cause: err}
		}
		return fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode >= 400 {
		return c.decodeError(resp, data, st)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	if !isJSON(resp.Header) && len(bytes.TrimSpace(data)) > 0 {
		// A login page of a captive portal or a proxy's notice, not the API.
		err := c.decodeError(resp, data, st)
		if !st.idempotent {
			return &outcomeUnknownError{op: method + " " + path, cause: err}
		}
		return err
	}
	if err := json.Unmarshal(data, out); err != nil {
		err = fmt.Errorf("decoding the answer: %w", err)
		if !st.idempotent {
			// The API did it, but we cannot tell what it made.
			return &outcomeUnknownError{op: method + " " + path, cause: err}
		}
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// decodeError turns an answer that is not what the call expects into an APIError (the API's
// JSON error body) or a StatusError (anything else, such as a proxy's page).
func (c *Client) decodeError(resp *http.Response, data []byte, st *attempt) error {
	var body struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Details *struct {
				Fields []FieldError `json:"fields"`
			} `json:"details"`
		} `json:"error"`
	}
	// An answer might echo the request's headers (a proxy's page, a JSON error that quotes
	// them): never quote the token.
	if c.token != "" {
		data = bytes.ReplaceAll(data, []byte(c.token), []byte("[token]"))
	}
	if isJSON(resp.Header) && json.Unmarshal(data, &body) == nil && body.Error != nil &&
		(body.Error.Code != "" || body.Error.Message != "") {
		e := &APIError{
			StatusCode:    resp.StatusCode,
			Code:          body.Error.Code,
			Message:       body.Error.Message,
			CorrelationID: resp.Header.Get("X-Correlation-Id"),
			Method:        st.method,
			Attempts:      st.attempts,
			Elapsed:       c.now().Sub(st.first),
		}
		if body.Error.Details != nil {
			e.Fields = body.Error.Details.Fields
		}
		return e
	}
	// Enough of a page to find its first words past the markup of its head.
	const keep = 4096
	text := strings.TrimSpace(string(data))
	if len(text) > keep {
		text = text[:keep] + "…"
	}
	return &StatusError{StatusCode: resp.StatusCode, ContentType: resp.Header.Get("Content-Type"), Body: text,
		Method: st.method, Attempts: st.attempts, Elapsed: c.now().Sub(st.first)}
}

func isJSON(h http.Header) bool {
	return strings.HasPrefix(h.Get("Content-Type"), "application/json")
}

// sleepContext waits for d or until ctx ends, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// unwrapURLError drops net/http's `Get "URL": ` wrapper: the diagnostic names the endpoint itself.
func unwrapURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}
