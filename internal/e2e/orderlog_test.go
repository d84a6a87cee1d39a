package e2e

import (
	"net/http"
	"slices"
	"sync"
	"time"
)

// The changing requests a test's emulator accepted, in order: the peer suite checks what each
// step sent, the action tests that an image was written before a server changed.

// orderLog records the requests that changed something (every method but GET) that the API
// accepted, in order, with when they were answered.
type orderLog struct {
	mu      sync.Mutex
	entries []orderEntry
}

type orderEntry struct {
	line string // METHOD path
	at   time.Time
}

func (l *orderLog) observe(r *http.Request, status int, _ http.Header, _ []byte) {
	if r.Method == http.MethodGet || status >= 400 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, orderEntry{r.Method + " " + r.URL.Path, time.Now()})
}

func (l *orderLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// since returns the entries from the n-th on.
func (l *orderLog) since(n int) []orderEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.entries[n:])
}

func lines(entries []orderEntry) []string {
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.line)
	}
	return out
}
