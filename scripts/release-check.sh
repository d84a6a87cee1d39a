#!/usr/bin/env bash
# Checks the release configuration with the pinned goreleaser, then runs a snapshot build of the
# current platform (no publishing, no signing) into a temporary directory, and lists what the
# release would hold for it. Needs nothing but the Go module proxy.
set -euo pipefail
cd "$(dirname "$0")/.."

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
# in the throwaway clone, a `targets` list replaces the goos/goarch matrix. --skip=sign: no key
# here. The full matrix is what `goreleaser release` builds on a tag.
target="$(go env GOOS)_$(go env GOARCH)"
case "$(go env GOARCH)" in amd64) target+=_v1 ;; arm64) target+=_v8.0 ;; esac
sed -i "s/^  - env:$/  - targets: [$target]\n    env:/" .goreleaser.yml
grep -q "targets: \[$target\]" .goreleaser.yml || { echo "release-check: could not limit the build to $target" >&2; exit 1; }
"$goreleaser" release --snapshot --clean --skip=publish,sign --parallelism 2 >"$work/log" 2>&1 ||
  { cat "$work/log" >&2; echo "release-check: snapshot build failed" >&2; exit 1; }
echo "snapshot release for $(go env GOOS)/$(go env GOARCH):"
sed 's/^/  /' dist/*_SHA256SUMS
zip=$(ls dist/*.zip)
python3 - "$zip" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
print("  zip holds:", ", ".join(names))
if len(names) != 1 or not names[0].startswith("terraform-provider-hetzner_v"):
    sys.exit("release-check: the zip must hold exactly the provider binary")
PY
grep -q '_manifest.json$' dist/*_SHA256SUMS || { echo "release-check: the manifest is not in SHA256SUMS" >&2; exit 1; }
