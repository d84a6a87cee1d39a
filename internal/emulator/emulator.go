// Package emulator is an in-memory Hetzner Cloud API for images, the servers
// they are made of (create, update, power, reboot, resize, backups, protection,
// delete), the SSH keys servers are created with, the server types, and actions.
// It serves the wire format of the real API (see
// /work/shared/hcloud-api/IMAGES-API.md) so that the provider, its client and
// the official provider can be tested end to end without an account.
//
// Time is lazy: actions keep their start and deadline, and whatever is due is
// finalized under the mutex at the start of every request and every Go-level
// read. No goroutine changes state in the background, so a fake Options.Clock
// makes every test deterministic.
//
// The emulator deliberately shares no code with internal/hcloud: a bug in one
// must not hide in the other.
package emulator

import (
	"bytes"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure an Emulator. The zero value is a usable emulator with seed
// data, any 64-character token, actions that finish on the next read, and no
// rate limit.
type Options struct {
	// Token, when set, is the only bearer token accepted. When empty, any
	// 64-character alphanumeric token is accepted (the shape of real tokens).
	Token string
	// ReadOnlyTokens are accepted as well, like tokens with the permission
	// "Read" in the Cloud Console: GET requests pass, any other method is
	// answered 401 token_readonly, before it has any effect.
	ReadOnlyTokens []string
	// ActionDuration is how long create_image and change_type actions run. Zero means the
	// action is returned "running" and is finished on any later read.
	// change_protection actions run for ActionDuration/10.
	ActionDuration time.Duration
	// ProgressShape is how the progress of running actions rises; empty is linear.
	ProgressShape ProgressShape
	// PowerActionDuration is how long the shutdown, poweroff, poweron, reboot
	// and reset actions run; a server is stopping or starting meanwhile. Zero finishes
	// them on any later read.
	PowerActionDuration time.Duration
	// ShutdownDuration is how long an operating system takes from the ACPI
	// shutdown request to power off; the server is stopping meanwhile. Zero
	// means it is off on any later read. A server whose IgnoreACPIShutdown is
	// set never stops that way.
	ShutdownDuration time.Duration
	// RateLimit is the hourly request allowance; 0 disables limiting (the
	// RateLimit-* headers are still sent, with a nominal 3600).
	RateLimit int
	// RateBurst is the bucket capacity; 0 means RateLimit, like the real API.
	RateBurst int
	// Clock replaces time.Now, for deterministic tests.
	Clock func() time.Time
	// NoSeed starts with no servers and no images.
	NoSeed bool
	// Servers seeds this many more servers after the seeded ones (with NoSeed, the only
	// ones): server-1, server-2, ..., running, x86, 40 GB, spread over the locations,
	// labelled fleet=yes and number=<n>.
	Servers int
	// OnResponse sees every API response produced for a non-admin request (not an
	// injected proxy page, which the API never sends),
	// including the one computed for a DropAfterProcessing fault that never
	// reaches the client. r.Body is rewound to the request body.
	OnResponse func(r *http.Request, status int, header http.Header, body []byte)
	// Logger receives one line per request. Tokens are never logged.
	Logger func(line string)
	// RetryAfter adds a Retry-After header to the rate limiter's 429 answers.
	// The API is not documented to send one, so it is off by default.
	RetryAfter bool
	// DailyBackups makes servers with backups enabled take a backup every day
	// at the start of their backup window, into seven slots (the oldest backup
	// goes). Off by default, so that a test's images do not depend on the hour
	// it runs at; RunDailyBackup takes one at any time.
	DailyBackups bool
	// BackupDuration is how long a daily backup runs, holding its server
	// (default 5 minutes, or ActionDuration when that is longer).
	BackupDuration time.Duration
}

// Emulator is an http.Handler serving the API under /v1 and admin endpoints
// under /__emulator. It is safe for concurrent use.
type Emulator struct {
	opts   Options
	clock  func() time.Time
	routes []*route

	// mu guards everything below; one lock keeps the state transitions
	// (advance, accounting, faults, rate limit) trivially consistent.
	mu           sync.Mutex
	servers      map[int64]*Server
	images       map[int64]*Image
	actions      map[int64]*actionState
	sshKeys      map[int64]*SSHKey
	nextServerID int64
	nextSSHKeyID int64
	nextImageID  int64
	nextActionID int64
	serverLocks  map[int64]time.Time
	transitions  map[int64]serverTransition
	history      map[int64][]string
	removedByAPI []int64
	faults       []*Fault
	actionFaults []actionFault
	chaos        *chaosState
	acct         accounting
	bucket       tokenBucket
}

// maxBodyBytes bounds request bodies; the API's bodies are tiny.
const maxBodyBytes = 1 << 20

// New returns an emulator configured by opts.
func New(opts Options) *Emulator {
	clock := opts.Clock
	if clock == nil {
		clock = time.Now
	}
	e := &Emulator{
		opts:         opts,
		clock:        clock,
		servers:      map[int64]*Server{},
		images:       map[int64]*Image{},
		actions:      map[int64]*actionState{},
		sshKeys:      map[int64]*SSHKey{},
		nextServerID: firstServerID,
		nextSSHKeyID: firstSSHKeyID,
		nextImageID:  firstImageID,
		nextActionID: firstActionID,
		serverLocks:  map[int64]time.Time{},
		transitions:  map[int64]serverTransition{},
		history:      map[int64][]string{},
		acct:         accounting{counts: map[string]int{}},
	}
	e.bucket = newTokenBucket(opts.RateLimit, opts.RateBurst, clock())
	e.routes = e.routeTable()
	if !opts.NoSeed {
		e.seed()
	}
	e.seedServers(opts.Servers)
	return e
}

// handler computes the reply to one request. It runs under e.mu.
type handler func(rq *request) reply

// route is one path template, e.g. /v1/images/{id}, with a handler per method.
type route struct {
	template string
	segs     []string
	methods  map[string]handler
}

// request is what a handler needs: path parameters, query, body and the
// clock reading taken when the request arrived.
type request struct {
	http   *http.Request
	params map[string]int64
	body   []byte
	now    time.Time
}

func (e *Emulator) routeTable() []*route {
	def := func(template string, methods map[string]handler) *route {
		return &route{template: template, segs: strings.Split(strings.Trim(template, "/"), "/"), methods: methods}
	}
	return []*route{
		def("/v1/images", map[string]handler{http.MethodGet: e.listImages}),
		def("/v1/images/actions", map[string]handler{http.MethodGet: e.listImageActions}),
		def("/v1/images/actions/{id}", map[string]handler{http.MethodGet: e.getImageAction}),
		def("/v1/images/{id}", map[string]handler{
			http.MethodGet:    e.getImage,
			http.MethodPut:    e.updateImage,
			http.MethodDelete: e.deleteImage,
		}),
		def("/v1/images/{id}/actions", map[string]handler{http.MethodGet: e.listActionsForImage}),
		def("/v1/images/{id}/actions/change_protection", map[string]handler{http.MethodPost: e.changeProtection}),
		def("/v1/images/{id}/actions/{action_id}", map[string]handler{http.MethodGet: e.getActionForImage}),
		def("/v1/servers", map[string]handler{http.MethodGet: e.listServers, http.MethodPost: e.createServer}),
		def("/v1/servers/{id}", map[string]handler{http.MethodGet: e.getServer, http.MethodPut: e.updateServer, http.MethodDelete: e.deleteServer}),
		def("/v1/servers/{id}/actions/change_protection", map[string]handler{http.MethodPost: e.changeServerProtection}),
		def("/v1/servers/{id}/actions", map[string]handler{http.MethodGet: e.listActionsForServer}),
		def("/v1/servers/{id}/actions/create_image", map[string]handler{http.MethodPost: e.createImage}),
		def("/v1/servers/{id}/actions/shutdown", map[string]handler{http.MethodPost: e.shutdownServer}),
		def("/v1/servers/{id}/actions/poweroff", map[string]handler{http.MethodPost: e.poweroffServer}),
		def("/v1/servers/{id}/actions/poweron", map[string]handler{http.MethodPost: e.poweronServer}),
		def("/v1/servers/{id}/actions/reboot", map[string]handler{http.MethodPost: e.rebootServer}),
		def("/v1/servers/{id}/actions/reset", map[string]handler{http.MethodPost: e.resetServer}),
		def("/v1/servers/{id}/actions/change_type", map[string]handler{http.MethodPost: e.changeServerType}),
		def("/v1/servers/{id}/actions/enable_backup", map[string]handler{http.MethodPost: e.enableBackup}),
		def("/v1/servers/{id}/actions/disable_backup", map[string]handler{http.MethodPost: e.disableBackup}),
		def("/v1/server_types", map[string]handler{http.MethodGet: e.listServerTypes}),
		def("/v1/server_types/{id}", map[string]handler{http.MethodGet: e.getServerType}),
		def("/v1/ssh_keys", map[string]handler{http.MethodGet: e.listSSHKeys, http.MethodPost: e.createSSHKey}),
		def("/v1/ssh_keys/{id}", map[string]handler{http.MethodGet: e.getSSHKey, http.MethodPut: e.updateSSHKey, http.MethodDelete: e.deleteSSHKey}),
		def("/v1/actions", map[string]handler{http.MethodGet: e.listActions}),
		def("/v1/actions/{id}", map[string]handler{http.MethodGet: e.getAction}),
	}
}

// match finds the route for path. Literal segments beat parameters, so
// /v1/images/actions is not image "actions" and change_protection is not an
// action id. Parameters only match positive integers: /v1/images/abc is an
// unknown path, answered 404 like an unknown id.
func (e *Emulator) match(path string) (*route, map[string]int64) {
	// Only the leading slash is dropped: /v1/images/ is not /v1/images.
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *route
	var bestParams map[string]int64
	var bestScore []bool
	for _, rt := range e.routes {
		if len(rt.segs) != len(segs) {
			continue
		}
		params := map[string]int64{}
		score := make([]bool, len(segs)) // true where a literal matched
		ok := true
		for i, s := range rt.segs {
			if strings.HasPrefix(s, "{") {
				n, err := strconv.ParseInt(segs[i], 10, 64)
				if err != nil || n <= 0 {
					ok = false
					break
				}
				params[strings.Trim(s, "{}")] = n
				continue
			}
			if s != segs[i] {
				ok = false
				break
			}
			score[i] = true
		}
		if ok && (best == nil || literalFirst(score, bestScore)) {
			best, bestParams, bestScore = rt, params, score
		}
	}
	return best, bestParams
}

// literalFirst reports whether a beats b: at the first segment where they
// differ, a matched a literal.
func literalFirst(a, b []bool) bool {
	for i := range a {
		if a[i] != b[i] {
			return a[i]
		}
	}
	return false
}

// ServeHTTP answers one request. Everything that reads or changes state runs
// under the mutex; the response is written after it is released.
func (e *Emulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now() // wall time, for the log line only
	if isAdmin(r) {
		rep := e.serveAdmin(r)
		e.write(w, r, rep, DropNone, started)
		return
	}

	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	rt, params := e.match(r.URL.Path)
	key := r.Method + " " + r.URL.Path
	if rt != nil {
		key = r.Method + " " + rt.template
	}

	e.mu.Lock()
	now := e.clock()
	e.advance(now)
	e.acct.count(key)
	rep, drop := e.process(r, rt, params, body, now)
	e.mu.Unlock()

	// The hook may want to validate the request body as well.
	r.Body = io.NopCloser(bytes.NewReader(body))
	e.write(w, r, rep, drop, started)
}

// process runs the pipeline every /v1 request goes through, in this order:
// rate limit (every request costs a token, authenticated or not), auth,
// injected faults, routing, the handler.
func (e *Emulator) process(r *http.Request, rt *route, params map[string]int64, body []byte, now time.Time) (reply, DropMode) {
	allowed, retryAfter := e.bucket.take(now)
	rate := e.bucket.header(now)
	finish := func(rep reply, drop DropMode) (reply, DropMode) {
		for k, v := range rate {
			rep.header[k] = v
		}
		return rep, drop
	}
	if !allowed {
		rep := errorReply(&apiError{status: http.StatusTooManyRequests, code: "rate_limit_exceeded", message: "limit of requests per hour reached"})
		// The API is not documented to send Retry-After: clients must manage with
		// RateLimit-Reset unless the option asks for it.
		if e.opts.RetryAfter {
			rep.header.Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
		}
		return finish(rep, DropNone)
	}
	switch e.access(r.Header.Get("Authorization")) {
	case accessNone:
		return finish(errorReply(&apiError{status: http.StatusUnauthorized, code: "unauthorized", message: "unable to authenticate"}), DropNone)
	case accessRead:
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			return finish(errorReply(&apiError{status: http.StatusUnauthorized, code: "token_readonly",
				message: "the token is only allowed to perform GET requests"}), DropNone)
		}
	}

	template := r.URL.Path
	if rt != nil {
		template = rt.template
	}
	f := e.takeFault(r.Method, template, r.URL.Path)
	if f == nil {
		f = e.chaosFault(r.Method, template, params, now)
	}
	if f != nil && !f.processedFirst() {
		if f.Drop != DropNone {
			return finish(reply{header: http.Header{}, delay: f.Delay}, DropBeforeProcessing)
		}
		return e.faultReply(f, now, finish)
	}

	rep := e.route(r, rt, params, body, now)
	if f == nil {
		return finish(rep, DropNone)
	}
	// The request took effect; now the client learns nothing of it, or only
	// that something failed.
	if f.Drop != DropNone {
		rep.delay = f.Delay
		return finish(rep, DropAfterProcessing)
	}
	return e.faultReply(f, now, finish)
}

// faultReply answers an injected fault. An injected 429 says, like the
// bucket's own, that nothing is left and when the bucket will be full again;
// Retry-After only when the fault asks for it.
func (e *Emulator) faultReply(f *Fault, now time.Time, finish func(reply, DropMode) (reply, DropMode)) (reply, DropMode) {
	rep := f.reply()
	rep.delay = f.Delay
	rep, drop := finish(rep, DropNone)
	if rep.status == http.StatusTooManyRequests {
		rep.header.Set("RateLimit-Remaining", "0")
		rep.header.Set("RateLimit-Reset", strconv.FormatInt(now.Add(e.bucket.untilFullFromEmpty()).Unix(), 10))
	}
	if f.RetryAfter > 0 {
		rep.header.Set("Retry-After", strconv.Itoa(f.RetryAfter))
	}
	return rep, drop
}

// route runs the handler for the request, or answers 404/405.
func (e *Emulator) route(r *http.Request, rt *route, params map[string]int64, body []byte, now time.Time) reply {
	if rt == nil {
		return errorReply(notFound("no route for %s %s", r.Method, r.URL.Path))
	}
	h, ok := rt.methods[r.Method]
	if !ok {
		rep := errorReply(&apiError{status: http.StatusMethodNotAllowed, code: "method_not_allowed", message: "method " + r.Method + " is not allowed for " + rt.template})
		allow := make([]string, 0, len(rt.methods))
		for m := range rt.methods {
			allow = append(allow, m)
		}
		slices.Sort(allow)
		rep.header.Set("Allow", strings.Join(allow, ", "))
		return rep
	}
	return h(&request{http: r, params: params, body: body, now: now})
}

// access is what a request's token may do.
type access int

const (
	accessNone access = iota
	accessRead
	accessReadWrite
)

// access checks the bearer token: a read-only token may read; otherwise see
// authorized.
func (e *Emulator) access(header string) access {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return accessNone
	}
	if slices.Contains(e.opts.ReadOnlyTokens, token) {
		return accessRead
	}
	if e.authorized(token) {
		return accessReadWrite
	}
	return accessNone
}

// authorized checks a read-write token. Without Options.Token any token shaped
// like a real one (64 alphanumerics) passes, so tests can use any fixture.
func (e *Emulator) authorized(token string) bool {
	if e.opts.Token != "" {
		return token == e.opts.Token
	}
	if len(token) != 64 {
		return false
	}
	for _, c := range token {
		if !isAlnum(c) {
			return false
		}
	}
	return true
}

func isAlnum(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}
