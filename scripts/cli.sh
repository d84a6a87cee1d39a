#!/usr/bin/env bash
# Prints the path of a Terraform or OpenTofu CLI. The pinned versions are built from the Go module
# proxy into a cache outside the clone the first time (nothing is downloaded from a release site,
# so this works where only the module proxy is reachable); the tests use only those.
#
#   scripts/cli.sh terraform   # Terraform 1.8.5, the oldest supported (about 2 minutes the first time)
#   scripts/cli.sh terraform-newest
#                              # Terraform 1.16.0, the newest (identity, query, actions; about
#                              # 3 minutes the first time)
#   scripts/cli.sh tofu        # OpenTofu 1.12.6 (2 to 5 minutes the first time)
#   scripts/cli.sh user        # the CLI the demo uses: HETZNER_CLI if set, else a terraform or
#                              # tofu on PATH that is new enough, else the pinned Terraform
#   scripts/cli.sh hcloud      # the official provider terraform-provider-hcloud 1.68.0 (about 80 s
#                              # the first time), served by dev_overrides as hetznercloud/hcloud
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
# shellcheck source=lib.sh
source "$root/scripts/lib.sh"

TERRAFORM_VERSION=1.8.5
TERRAFORM_NEWEST_VERSION=1.16.0
TOFU_VERSION=1.12.6
HCLOUD_VERSION=1.68.0
cache="${HETZNER_CLI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/terraform-provider-hetzner/cli}"

log() { echo "cli.sh: $*" >&2; }

# Release builds: without version.dev=no both CLIs call themselves v<version>-dev.
terraform_install() {
  GOFLAGS=-mod=mod GOBIN="$PWD/out" go install -ldflags "-X github.com/hashicorp/terraform/version.dev=no" \
    "github.com/hashicorp/terraform@v$TERRAFORM_VERSION"
}
terraform_valid() { [[ "$(cli_version "$1/terraform")" == "Terraform v$TERRAFORM_VERSION" ]]; }

build_terraform() {
  local dir="$cache/terraform-$TERRAFORM_VERSION"
  cache_build --valid terraform_valid "$dir" \
    "cli.sh: building Terraform $TERRAFORM_VERSION from the Go module proxy into $dir (first run only, about 2 minutes)" \
    terraform_install || exit 1
  echo "$dir/terraform"
}

# go install refuses modules with replace directives (OpenTofu) and modules whose versions the
# proxy does not list (terraform-provider-hcloud): build those in a copy of the module, always at
# the same path (under the build lock) so that Go's build cache serves a rebuild; the copy is
# removed afterwards.
#   [BUILD_COPY_PATCH=FUNCTION] build_copy MODULE@VERSION PACKAGE BINARY [LDFLAGS]
# FUNCTION, when set, runs in the copy before the build.
build_copy() {
  local src work="$cache/src/${1##*/}" out=$PWD/out
  src=$(go mod download -json "$1" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p') &&
    [[ -n "$src" ]] && rm -rf "$work" && mkdir -p "$cache/src" && cp -r "$src" "$work" && chmod -R u+w "$work" &&
    (cd "$work" && ${BUILD_COPY_PATCH:-true} && go build -ldflags "${4:-}" -o "$out/$3" "$2") &&
    rm -rf "$work" && { rmdir "$cache/src" 2>/dev/null || true; }
}
# Terraform 1.9 and newer cannot be built with go install: its go.mod replaces the remote-state
# backend modules (azure, consul, cos, gcs, kubernetes, oci, oss, pg, s3) and internal/legacy with
# directories that the module zip on the proxy lacks, and those nested modules are not served.
# In the copy, the nine backends leave the backend table and go.mod (with internal/legacy, which
# only they use). Local state, every other backend the tests could use and every provider-protocol
# path are untouched: the binary speaks to providers exactly as a release build does.
terraform_newest_patch() {
  local backends='azure|consul|cos|gcs|kubernetes|oci|oss|pg|s3'
  sed -E -i "/internal\/backend\/remote-state\/($backends)\"/d; /^[[:space:]]*\"($backends|azurerm)\":[[:space:]]+func\(\)/d" \
    internal/backend/init/init.go &&
    sed -E -i "/internal\/backend\/remote-state\/($backends)[[:space:]]/d; /internal\/legacy[[:space:]]/d" go.mod
}
terraform_newest_valid() { [[ "$(cli_version "$1/terraform")" == "Terraform v$TERRAFORM_NEWEST_VERSION" ]]; }

build_terraform_newest() {
  local dir="$cache/terraform-$TERRAFORM_NEWEST_VERSION"
  BUILD_COPY_PATCH=terraform_newest_patch cache_build --valid terraform_newest_valid "$dir" \
    "cli.sh: building Terraform $TERRAFORM_NEWEST_VERSION from the Go module proxy into $dir (first run only, about 3 minutes)" \
    build_copy "github.com/hashicorp/terraform@v$TERRAFORM_NEWEST_VERSION" . terraform "-X github.com/hashicorp/terraform/version.dev=no" || exit 1
  echo "$dir/terraform"
}

tofu_valid() { [[ "$(cli_version "$1/tofu")" == "OpenTofu v$TOFU_VERSION" ]]; }

build_tofu() {
  local dir="$cache/tofu-$TOFU_VERSION"
  cache_build --valid tofu_valid "$dir" \
    "cli.sh: building OpenTofu $TOFU_VERSION from the Go module proxy into $dir (first run only, 2 to 5 minutes)" \
    build_copy "github.com/opentofu/opentofu@v$TOFU_VERSION" ./cmd/tofu tofu "-X github.com/opentofu/opentofu/version.dev=no" || exit 1
  echo "$dir/tofu"
}

# The oldest versions that run the demo: import blocks came with Terraform 1.5 and OpenTofu 1.6.
supports_demo() { # "Terraform v1.11.4" or "OpenTofu v1.9.0"
  local name=${1%% *} version=${1##* v} major minor
  IFS=. read -r major minor _ <<<"$version"
  [[ "$major" =~ ^[0-9]+$ && "$minor" =~ ^[0-9]+$ ]] || return 1
  case "$name" in
    Terraform) ((major > 1 || (major == 1 && minor >= 5))) ;;
    OpenTofu) ((major > 1 || (major == 1 && minor >= 6))) ;;
    *) return 1 ;;
  esac
}

find_user_cli() {
  local cli line
  if [[ -n "${HETZNER_CLI:-}" ]]; then
    cli=$(command -v "$HETZNER_CLI") || { log "HETZNER_CLI=$HETZNER_CLI is not an executable"; exit 1; }
    line=$(cli_version "$cli")
    supports_demo "$line" || { log "HETZNER_CLI=$HETZNER_CLI is ${line:-not Terraform or OpenTofu}; the demo needs Terraform 1.5 or OpenTofu 1.6 or newer"; exit 1; }
    log "using $line from HETZNER_CLI ($cli)"
    echo "$cli"
    return
  fi
  for name in terraform tofu; do
    cli=$(command -v "$name") || continue
    line=$(cli_version "$cli")
    if supports_demo "$line"; then
      log "using $line found on PATH ($cli); HETZNER_CLI=/path/to/terraform-or-tofu picks another"
      echo "$cli"
      return
    fi
    log "not using $cli (${line:-no version}): the demo needs Terraform 1.5 or OpenTofu 1.6 or newer"
  done
  cli=$(build_terraform)
  log "using the pinned $(cli_version "$cli") ($cli): no terraform or tofu on PATH"
  echo "$cli"
}

# The official provider, which our users pair with ours: the tests run it on the emulator as a
# peer, served by dev_overrides as hetznercloud/hcloud.
build_hcloud() {
  local dir="$cache/hcloud-$HCLOUD_VERSION"
  cache_build "$dir" "cli.sh: building terraform-provider-hcloud $HCLOUD_VERSION from the Go module proxy into $dir (first run only, about 80 s)" \
    build_copy "github.com/hetznercloud/terraform-provider-hcloud@v$HCLOUD_VERSION" . terraform-provider-hcloud || exit 1
  echo "$dir/terraform-provider-hcloud"
}

case "${1:-}" in
  terraform) build_terraform ;;
  terraform-newest) build_terraform_newest ;;
  tofu) build_tofu ;;
  user) find_user_cli ;;
  hcloud) build_hcloud ;;
  *) echo "usage: $0 terraform|terraform-newest|tofu|user|hcloud" >&2; exit 2 ;;
esac
