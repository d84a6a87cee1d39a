// Command extract writes the part of the Hetzner Cloud OpenAPI document that
// the emulator serves (see package spec). Run from the repository root:
//
//	go run ./internal/emulator/spec/extract -in ../shared/hcloud-api/openapi.json -out internal/emulator/spec/openapi-images.json
//
// or `go generate ./internal/emulator/spec`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/tf-hetzner/terraform-provider-hetzner/internal/emulator/spec/internal/subset"
)

func main() {
	in := flag.String("in", "", "full OpenAPI document (openapi.json from MaximilianKoestler/hcloud-openapi)")
	out := flag.String("out", "", "output file")
	commit := flag.String("commit", subset.Default.Commit, "commit of the source repository the input was taken from")
	flag.Parse()
	if *in == "" || *out == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *out, *commit); err != nil {
		fmt.Fprintln(os.Stderr, "extract:", err)
		os.Exit(1)
	}
}

func run(in, out, commit string) error {
	src, err := os.ReadFile(in) //nolint:gosec // G304: reading the file named on the command line is the point
	if err != nil {
		return err
	}
	// The commit cannot be derived from the file itself. If the SOURCE.md that
	// accompanies the input names a different commit, the recorded provenance
	// would be wrong, so refuse rather than write it.
	if md, err := os.ReadFile(filepath.Join(filepath.Dir(in), "SOURCE.md")); err == nil && !strings.Contains(string(md), commit) {
		return fmt.Errorf("SOURCE.md next to %s does not mention commit %s; pass -commit", in, commit)
	}
	from := subset.Default
	from.Commit = commit
	from.File = filepath.Base(in)
	data, err := subset.Extract(src, from)
	if err != nil {
		return err
	}
	return os.WriteFile(out, data, 0o644) //nolint:gosec // G306: a checked-in source file, readable by all like the rest of the tree
}
