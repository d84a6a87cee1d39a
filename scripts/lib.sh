# Sourced by the scripts (not run): the CLI configuration they all use, the filter for the
# dev_overrides warning, version lines, quiet module downloads, and a locked build into the cache.

# cli_config FILE [PROVIDER_DIR [HCLOUD_DIR]]
# Writes a CLI configuration of our own to FILE and points Terraform and OpenTofu at it, so that
# no user setting (mirrors, credentials, a TF_CLI_CONFIG_FILE naming a missing file) changes what
# the scripts see. Empty without PROVIDER_DIR; with it, a dev_overrides block that makes
# tf-hetzner/hetzner the binary in PROVIDER_DIR, with no `init` and nothing downloaded; with
# HCLOUD_DIR too, hetznercloud/hcloud is the official provider in HCLOUD_DIR
# (scripts/cli.sh hcloud).
cli_config() {
  local file=$1 dir=${2:-} hcloud_dir=${3:-}
  if [[ -n "$dir" ]]; then
    {
      printf 'provider_installation {\n  dev_overrides {\n'
      printf '    "tf-hetzner/hetzner" = "%s"\n' "$dir"
      [[ -z "$hcloud_dir" ]] || printf '    "hetznercloud/hcloud" = "%s"\n' "$hcloud_dir"
      printf '  }\n  direct {}\n}\n'
    } >"$file"
  else
    : >"$file"
  fi
  export TF_CLI_CONFIG_FILE="$file" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
}

# without_override_warning: a filter that drops the warning Terraform and OpenTofu print on every
# command while dev_overrides is in effect, in both its -no-color form (a title and three
# paragraphs) and its boxed, coloured form. Everything else passes unchanged.
without_override_warning() {
  awk '
    { plain = $0; gsub(/\033\[[0-9;]*m/, "", plain) }
    skip == 1 { if (plain == "") { blanks++; if (blanks == 3) skip = 0 }; next }
    skip == 2 { if (plain ~ /^╵/) skip = 0; next }
    plain ~ /^Warning: Provider development overrides are in effect/ { skip = 1; blanks = 0; next }
    held != "" {
      if (plain ~ /Warning: Provider development overrides are in effect/) { held = ""; skip = 2; next }
      print held; held = ""
    }
    plain ~ /^╷/ { held = $0; next }
    { print }
    END { if (held != "") print held }'
}

# cli_version CLI: the CLI's version line ("Terraform v1.8.5", "OpenTofu v1.12.6"), read with an
# empty CLI configuration: OpenTofu prints configuration warnings on standard output, before the
# version, so a missing TF_CLI_CONFIG_FILE would otherwise make the first line empty.
cli_version() {
  TF_CLI_CONFIG_FILE=/dev/null CHECKPOINT_DISABLE=1 "$1" version 2>/dev/null | sed -n '/./{p;q}'
}

# go_modules: downloads the Go modules of the module in the current directory when the module
# cache lacks any, saying so in one line instead of Go's line per module.
go_modules() {
  GOPROXY=off GOFLAGS=-mod=mod go mod download >/dev/null 2>&1 && return 0
  echo "fetching the Go modules of $(go list -m) from the Go module proxy; with compiling them, the first run takes a few minutes" >&2
  local log
  log=$(mktemp)
  if ! go mod download >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    return 1
  fi
  rm -f "$log"
}

# cache_build [--valid CHECK] DEST WHAT BUILDER [ARGS...]
# Builds DEST (a file or a directory in a cache) unless it is there and `CHECK DEST` passes (by
# default: it exists). Under a lock (DEST.lock), so that scripts started together build it once;
# in a temporary directory next to DEST that is removed whatever happens; with the build's output
# kept out of sight unless it fails. WHAT is the one line said while it builds. BUILDER ARGS...
# runs in the temporary directory and leaves the result at ./out, which then replaces DEST.
# Without flock(1) (macOS) there is no lock: start one build at a time there.
cache_build() {
  local check=test_exists
  if [[ "$1" == --valid ]]; then check=$2; shift 2; fi
  local dest=$1 what=$2 lock_fd
  shift 2
  [[ -e "$dest" ]] && "$check" "$dest" && return 0
  mkdir -p "$(dirname "$dest")"
  exec {lock_fd}>"$dest.lock"
  if command -v flock >/dev/null; then
    flock "$lock_fd"
  fi
  if [[ -e "$dest" ]] && "$check" "$dest"; then # built by another script while this one waited
    exec {lock_fd}>&-
    return 0
  fi
  local tmp
  tmp=$(mktemp -d "$dest.building.XXXXXX")
  # shellcheck disable=SC2064 # the directory is known now
  trap "rm -rf '$tmp'" EXIT
  echo "$what" >&2
  local started=$SECONDS
  # (The builder runs where `set -e` does not apply: it chains its steps with &&.)
  if ! (cd "$tmp" && "$@") >"$tmp/log" 2>&1 || [[ ! -e "$tmp/out" ]]; then
    cat "$tmp/log" >&2
    echo "failed after $((SECONDS - started)) s: $what" >&2
    return 1
  fi
  # A stale DEST moves aside first; programs still running from it keep their files.
  if [[ -e "$dest" ]]; then mv "$dest" "$tmp/stale" || return 1; fi
  mv "$tmp/out" "$dest" || return 1
  rm -rf "$tmp"
  trap - EXIT
  exec {lock_fd}>&-
}

test_exists() { [[ -e "$1" ]]; }
