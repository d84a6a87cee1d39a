#!/usr/bin/env bash
# Checks every example under examples/ with the pinned Terraform CLI:
#   - terraform fmt -check on all of them;
#   - terraform validate in each directory that holds .tf files, against a freshly built provider
#     through a dev_overrides CLI configuration (no terraform init, nothing downloaded).
#
# Files that use the official hcloud provider (hcloud_* resources, hetznercloud/hcloud) cannot be
# validated here: that provider comes only from the Terraform registry, which is out of reach.
# Such files are kept apart (by convention versions.tf, which requires both providers, and
# hcloud.tf, which uses hcloud) and only format-checked; the rest of their
# directory is validated without them when it does not refer to them, and skipped (said so) when
# it does. Examples written as snippets, without a terraform block, get one naming
# tf-hetzner/hetzner, as the configuration they are pasted into would have.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib.sh

tf=$(scripts/cli.sh terraform)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go_modules
go build -o "$work/bin/terraform-provider-hetzner" .
cli_config "$work/cli.tfrc" "$work/bin"
# validate needs no credentials; keep the caller's out of it.
unset HCLOUD_TOKEN HCLOUD_ENDPOINT

failed=0
fail() { echo "FAIL $*"; failed=1; }

if ! out=$("$tf" fmt -check -recursive -diff -no-color examples 2>&1); then
  fail "terraform fmt: run 'terraform fmt -recursive examples' (or make fmt):"
  echo "$out"
fi

# A file uses hcloud when, outside comments, it requires the provider, configures it, declares one
# of its resources or data sources, or refers to one (hcloud_server.web.id, data.hcloud_image.x;
# not var.hcloud_token, nor a reference written inside a plain string).
hcloud_ref='(^|[^.[:alnum:]_])hcloud_[a-z0-9_]+\.[a-z]'
hcloud_decl='"hetznercloud/hcloud"|provider "hcloud"|(resource|data) "hcloud_'
uncommented() { sed -E 's/[[:space:]]*(#|\/\/).*$//' "$@"; }
code() { uncommented "$@" | sed -E 's/"[^"$]*"/""/g'; }
validated=0 partial=0 skipped=0
while IFS= read -r dir; do
  rel=${dir#"$root"/}
  copy="$work/validate/$rel"
  mkdir -p "$copy"
  kept=() left=()
  for f in "$dir"/*.tf; do
    if uncommented "$f" | grep -Eq "$hcloud_decl" || code "$f" | grep -Eq "$hcloud_ref"; then left+=("${f##*/}"); else kept+=("${f##*/}"); cp "$f" "$copy/"; fi
  done
  if ((${#left[@]})); then
    if ((${#kept[@]} == 0)) || code "${kept[@]/#/$dir/}" | grep -Eq "$hcloud_ref"; then
      echo "skip $rel: every file refers to the hcloud provider (format-checked only)"
      skipped=$((skipped + 1))
      continue
    fi
  fi
  grep -q required_providers "$copy"/*.tf ||
    printf 'terraform {\n  required_providers {\n    hetzner = { source = "tf-hetzner/hetzner" }\n  }\n}\n' >"$copy/zz_required_providers.tf"
  if out=$(cd "$copy" && "$tf" validate -no-color 2>&1); then
    if ((${#left[@]})); then
      echo "ok   $rel, without ${left[*]} (hcloud provider: format-checked only)"
      partial=$((partial + 1))
    else
      echo "ok   $rel"
      validated=$((validated + 1))
    fi
  else
    fail "$rel: terraform validate"
    echo "$out" | without_override_warning
  fi
done < <(find "$root/examples" -name '*.tf' -printf '%h\n' | sort -u)

echo "examples: $validated validated, $partial validated without their hcloud files, $skipped format-checked only ($(cli_version "$tf"))"
exit "$failed"
