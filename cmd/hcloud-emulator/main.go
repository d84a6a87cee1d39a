// Command hcloud-emulator serves the in-memory Hetzner Cloud images API.
//
// It prints exactly one line HCLOUD_ENDPOINT=http://HOST:PORT/v1 on stdout
// once the listener accepts connections, so that scripts can read the first
// line and export it, then a summary of the seeded data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "hcloud-emulator:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("hcloud-emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:8080", "address to listen on (port 0 picks a free port)")
	token := fs.String("token", "", "the only accepted API token (default: any 64-character alphanumeric token)")
	actionDuration := fs.Duration("action-duration", 2*time.Second, "how long create_image and change_type actions run")
	progressShape := fs.String("progress-shape", "linear", "how the progress of running actions rises: linear, stalled (0 until it jumps to 100), steps (of 25) or slow-start")
	powerDuration := fs.Duration("power-duration", time.Second, "how long the shutdown, poweroff, poweron, reboot and reset actions run")
	shutdownDuration := fs.Duration("shutdown-duration", 3*time.Second, "how long a server takes from the graceful shutdown request to off")
	var ignoreACPI serverIDs
	fs.Var(&ignoreACPI, "ignore-acpi-shutdown", "comma-separated ids of servers whose operating system ignores the graceful shutdown (only poweroff stops them)")
	rateLimit := fs.Int("rate-limit", 3600, "requests per hour (0 disables rate limiting)")
	rateBurst := fs.Int("rate-burst", 0, "rate limit bucket size (default: the rate limit)")
	quiet := fs.Bool("quiet", false, "do not log requests to stderr")
	noSeed := fs.Bool("no-seed", false, "start without the seeded servers and images")
	retryAfter := fs.Bool("retry-after", false, "send Retry-After with 429 answers (the real API is not documented to)")
	dailyBackups := fs.Bool("daily-backups", false, "servers with backups enabled take a backup every day in their backup window, into seven slots")
	backupDuration := fs.Duration("backup-duration", 5*time.Minute, "how long a daily backup runs, holding its server")
	servers := fs.Int("servers", 0, "seed this many more servers (server-1 ... server-N, labelled fleet=yes)")
	var readOnly []string
	fs.Func("read-only-token", "a token that may only read (GET); writes get 401 token_readonly (repeatable)", func(s string) error {
		if s == "" {
			return errors.New("the token must not be empty")
		}
		readOnly = append(readOnly, s)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	shape, err := emulator.ParseProgressShape(*progressShape)
	if err != nil {
		return err
	}
	if *servers < 0 {
		return fmt.Errorf("--servers must be 0 or more, not %d", *servers)
	}

	logger := log.New(stderr, "hcloud-emulator: ", log.LstdFlags)
	opts := emulator.Options{
		Token:               *token,
		ReadOnlyTokens:      readOnly,
		ActionDuration:      *actionDuration,
		ProgressShape:       shape,
		PowerActionDuration: *powerDuration,
		ShutdownDuration:    *shutdownDuration,
		RateLimit:           *rateLimit,
		RateBurst:           *rateBurst,
		NoSeed:              *noSeed,
		RetryAfter:          *retryAfter,
		DailyBackups:        *dailyBackups,
		BackupDuration:      *backupDuration,
		Servers:             *servers,
	}
	if !*quiet {
		opts.Logger = func(line string) { logger.Println(line) }
	}
	emu := emulator.New(opts)
	ignore := true
	for _, id := range ignoreACPI {
		if found, _ := emu.SetServerPower(id, nil, &ignore); !found {
			return fmt.Errorf("--ignore-acpi-shutdown: no server %d", id)
		}
	}

	// Listen first, print second: a reader of the first stdout line may
	// connect at once.
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", *listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	if addr.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	if !addr.IP.IsLoopback() {
		logger.Printf("warning: listening on %s, reachable from other hosts; the emulator accepts any well-formed token unless --token is set", addr)
	}
	fmt.Fprintf(stdout, "HCLOUD_ENDPOINT=http://%s/v1\n", net.JoinHostPort(host, fmt.Sprint(addr.Port)))
	printSummary(stdout, emu)

	srv := &http.Server{Handler: emu, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func printSummary(w io.Writer, emu *emulator.Emulator) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nServers:")
	fmt.Fprintln(tw, "  ID\tNAME\tTYPE\tLOCATION\tARCH\tDISK\tBACKUPS\tSTATUS")
	servers := emu.Servers()
	// Thousands of --servers would bury the endpoint line's neighbours: show the first few.
	const shown = 8
	for i, s := range servers {
		if i == shown {
			fmt.Fprintf(tw, "  ... and %d more\n", len(servers)-shown)
			break
		}
		status := s.Status
		if s.IgnoreACPIShutdown {
			status += " (ignores ACPI shutdown)"
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%g GB\t%t\t%s\n", s.ID, s.Name, s.ServerType, s.Location, s.Architecture, s.DiskSize, s.BackupsEnabled, status)
	}
	fmt.Fprintln(tw, "\nImages:")
	fmt.Fprintln(tw, "  ID\tNAME\tTYPE\tARCH\tDEPRECATED")
	for _, img := range emu.Images() {
		name := "-"
		if img.Name != nil {
			name = *img.Name
		}
		deprecated := "-"
		if img.Deprecated != nil {
			deprecated = img.Deprecated.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\n", img.ID, name, img.Type, img.Architecture, deprecated)
	}
	_ = tw.Flush()
	fmt.Fprintln(w, "\nAdmin (no auth): GET/DELETE /__emulator/requests, GET /__emulator/state,")
	fmt.Fprintln(w, `  POST /__emulator/servers/{id} {"status":"running"|"off","ignore_acpi_shutdown":true|false}`)
	fmt.Fprintln(w, "  POST/GET/DELETE /__emulator/faults, POST /__emulator/servers/{id}/busy and /daily_backup")
}

// serverIDs is a flag holding a comma-separated list of server ids.
type serverIDs []int64

func (s *serverIDs) String() string {
	parts := make([]string, len(*s))
	for i, id := range *s {
		parts[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(parts, ",")
}

func (s *serverIDs) Set(v string) error {
	for _, part := range strings.Split(v, ",") {
		id, err := strconv.ParseInt(strings.TrimSpace(part), 10, 64)
		if err != nil || id <= 0 {
			return fmt.Errorf("%q is not a server id", part)
		}
		*s = append(*s, id)
	}
	return nil
}
