#!/usr/bin/env bash
# Prints the path of a pinned development tool, building it the first time from its module under
# tools/ (one module per tool: go.mod pins the version, go.sum the checksums) into a cache outside
# the clone. Only the Go module proxy is needed.
#
#   scripts/tool.sh tfplugindocs | golangci-lint | goreleaser
#
# One module per tool, not one for all three: in a shared module Go's minimal version selection
# raises the tools' common dependencies to the highest version any of them asks for (golangci-lint
# would get viper 1.21 instead of 1.12, tfplugindocs sprig 3.3 instead of 3.2, ...), so none of
# them would be the build its authors released and tested. Alone, each module selects exactly the
# dependencies of the tool's own go.mod, like `go install tool@version`, with go.sum checked in.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cache="${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-hetzner/tools"

name=${1:-}
case "$name" in
  tfplugindocs)
    module=github.com/hashicorp/terraform-plugin-docs pkg=$module/cmd/tfplugindocs
    version_vars=($pkg/build.version) ;;
  golangci-lint)
    module=github.com/golangci/golangci-lint/v2 pkg=$module/cmd/golangci-lint
    version_vars=(main.version) ;;
  goreleaser)
    module=github.com/goreleaser/goreleaser/v2 pkg=$module
    version_vars=(main.version) ;;
  *) echo "usage: $0 tfplugindocs|golangci-lint|goreleaser" >&2; exit 2 ;;
esac

dir="$root/tools/$name"
version=$(awk -v m="$module" '$1 == m { print $2; exit }' "$dir/go.mod")
[[ -n "$version" ]] || { echo "tool.sh: $dir/go.mod does not require $module" >&2; exit 1; }
bin="$cache/$name-$version"
if [[ ! -x "$bin" ]]; then
  # shellcheck source=lib.sh
  source "$root/scripts/lib.sh"
  # The tools print their version from a variable their release builds set; built from a module
  # of ours, Go's build information would not tell it.
  ldflags="-s -w"
  for v in "${version_vars[@]}"; do ldflags+=" -X $v=${version#v}"; done
  # golangci-lint reads its version from the build information unless a date is set.
  [[ "$name" == golangci-lint ]] && ldflags+=" -X main.date=unknown"
  cache_build "$bin" "tool.sh: building $name $version from the Go module proxy into $cache (first run only, 1 to 2 minutes)" \
    bash -c 'out=$PWD/out && cd "$1" && go build -trimpath -ldflags "$2" -o "$out" "$3"' build "$dir" "$ldflags" "$pkg"
fi
echo "$bin"
