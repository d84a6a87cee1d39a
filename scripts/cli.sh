#!/usr/bin/env bash
# Prints the path of a Terraform or OpenTofu CLI of the pinned version, building it from the Go
# module proxy into a cache outside the clone the first time (nothing is downloaded from a
# release site, so this works where only the module proxy is reachable).
#
#   scripts/cli.sh terraform   # Terraform 1.8.5 (about 2 minutes the first time)
#   scripts/cli.sh tofu        # OpenTofu 1.12.6 (2 to 5 minutes the first time)
set -euo pipefail

TERRAFORM_VERSION=1.8.5
TOFU_VERSION=1.12.6
cache="${HETZNER_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-hetzner/cli}"

log() { echo "cli.sh: $*" >&2; }

build_terraform() {
  local dir="$cache/terraform-$TERRAFORM_VERSION"
  if [[ ! -x "$dir/terraform" ]]; then
    log "building Terraform $TERRAFORM_VERSION into $dir (first run only)"
    mkdir -p "$dir.tmp"
    (cd "$(mktemp -d)" && GOFLAGS=-mod=mod GOBIN="$dir.tmp" go install "github.com/hashicorp/terraform@v$TERRAFORM_VERSION")
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/terraform"
}

build_tofu() {
  local dir="$cache/tofu-$TOFU_VERSION"
  if [[ ! -x "$dir/tofu" ]]; then
    log "building OpenTofu $TOFU_VERSION into $dir (first run only)"
    # go install refuses this module because of its replace directives: build it in a copy.
    local src
    src=$(cd "$(mktemp -d)" && go mod download -json "github.com/opentofu/opentofu@v$TOFU_VERSION" |
      sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    local work="$cache/src/opentofu-$TOFU_VERSION"
    rm -rf "$work" && mkdir -p "$cache/src" && cp -r "$src" "$work" && chmod -R u+w "$work"
    mkdir -p "$dir.tmp"
    (cd "$work" && go build -o "$dir.tmp/tofu" ./cmd/tofu)
    rm -rf "$dir" "$work" && mv "$dir.tmp" "$dir"
  fi
  echo "$dir/tofu"
}

case "${1:-}" in
  terraform) build_terraform ;;
  tofu) build_tofu ;;
  *) echo "usage: $0 terraform|tofu" >&2; exit 2 ;;
esac
