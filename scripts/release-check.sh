#!/usr/bin/env bash
# Checks the release configuration with the pinned goreleaser, then runs a snapshot build of the
# current platform (no publishing, no signing) into a temporary directory, and lists what the
# release would hold for it. Needs nothing but the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

goreleaser=$(scripts/tool.sh goreleaser)
# goreleaser reads the project's git remote; a clone without one (CI's, a fresh `git init`) gets
# a harmless placeholder in a throwaway clone. Nothing is pushed or published.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone --quiet --no-hardlinks . "$work/src"
# Uncommitted changes to the release inputs are part of what is checked.
cp .goreleaser.yml terraform-registry-manifest.json "$work/src/"
git -C "$work/src" remote set-url origin https://github.com/tf-hetzner/terraform-provider-hetzner.git

cd "$work/src"
"$goreleaser" check
# Build, archive and checksum for this machine's platform only (`release` has no --single-target):
# the same configuration read as YAML, with a `targets` list in place of each build's goos/goarch
# matrix (tools/goreleaser/singletarget). --skip=sign: no key here. The full matrix is what
# `goreleaser release` builds on a tag.
target="$(go env GOOS)_$(go env GOARCH)"
case "$(go env GOARCH)" in amd64) target+=_v1 ;; arm64) target+=_v8.0 ;; esac
(cd "$root/tools/goreleaser" && go run ./singletarget "$work/src/.goreleaser.yml" "$target") >"$work/single.yml"
"$goreleaser" release --snapshot --clean --skip=publish,sign --parallelism 2 -f "$work/single.yml" >"$work/log" 2>&1 ||
  { cat "$work/log" >&2; echo "release-check: snapshot build failed" >&2; exit 1; }
echo "snapshot release for $(go env GOOS)/$(go env GOARCH):"
sed 's/^/  /' dist/*_SHA256SUMS
zip=$(ls "$PWD"/dist/*.zip)
names=$(cd "$root" && go run ./scripts/scriptutil zip "$zip")
echo "  zip holds: ${names//$'\n'/, }"
[[ "$names" == terraform-provider-hetzner_v* && "$names" != *$'\n'* ]] ||
  { echo "release-check: the zip must hold exactly the provider binary" >&2; exit 1; }
grep -q '_manifest.json$' dist/*_SHA256SUMS || { echo "release-check: the manifest is not in SHA256SUMS" >&2; exit 1; }
