#!/usr/bin/env bash
# Checks every example under examples/ with the newest pinned Terraform CLI (1.16.0, which knows actions and list blocks):
#   - terraform fmt -check on all of them;
#   - terraform validate in each directory that holds .tf files, with all its files, against a
#     freshly built provider and the official hcloud provider (built from the Go module proxy by
#     scripts/cli.sh hcloud), both served by a dev_overrides CLI configuration. That is the
#     whole initialisation: terraform init would ask the registry about overridden providers
#     too, and nothing is downloaded.
#
# Examples written as snippets, without a terraform block, get one naming tf-hetzner/hetzner
# (and hetznercloud/hcloud when they use it), as the configuration they are pasted into would
# have.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
source scripts/lib.sh

tf=$(scripts/cli.sh terraform-newest)
peer=$(scripts/cli.sh hcloud)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

go_modules
go build -o "$work/bin/terraform-provider-hetzner" .
cli_config "$work/cli.tfrc" "$work/bin" "$(dirname "$peer")"
# validate needs no credentials; keep the caller's out of it.
unset HCLOUD_TOKEN HCLOUD_ENDPOINT

failed=0
fail() { echo "FAIL $*"; failed=1; }

if ! out=$("$tf" fmt -check -recursive -diff -no-color examples 2>&1); then
  fail "terraform fmt: run 'terraform fmt -recursive examples' (or make fmt):"
  echo "$out"
fi

# A snippet uses hcloud when, outside comments, it declares one of its resources or data
# sources or configures the provider.
uses_hcloud='(resource|data) "hcloud_|provider "hcloud"'
uncommented() { sed -E 's/[[:space:]]*(#|\/\/).*$//' "$@"; }
validated=0
while IFS= read -r dir; do
  rel=${dir#"$root"/}
  copy="$work/validate/$rel"
  mkdir -p "$copy"
  if compgen -G "$dir/*.tf" >/dev/null; then cp "$dir"/*.tf "$copy/"; fi
  # Query files (list blocks, Terraform 1.14+) are validated with the configuration.
  query=()
  if compgen -G "$dir/*.tfquery.hcl" >/dev/null; then
    cp "$dir"/*.tfquery.hcl "$copy/"
    query=(-query)
  fi
  if ! cat "$copy"/*.tf 2>/dev/null | grep -q required_providers; then
    {
      printf 'terraform {\n  required_providers {\n    hetzner = { source = "tf-hetzner/hetzner" }\n'
      cat "$copy"/*.tf 2>/dev/null | uncommented | grep -Eq "$uses_hcloud" && printf '    hcloud = { source = "hetznercloud/hcloud" }\n'
      printf '  }\n}\n'
    } >"$copy/zz_required_providers.tf"
  fi
  if out=$(cd "$copy" && "$tf" validate -no-color "${query[@]}" 2>&1); then
    echo "ok   $rel"
    validated=$((validated + 1))
  else
    fail "$rel: terraform validate"
    echo "$out" | without_override_warning
  fi
done < <(find "$root/examples" \( -name '*.tf' -o -name '*.tfquery.hcl' \) -printf '%h\n' | sort -u)

echo "examples: $validated of $(find "$root/examples" \( -name '*.tf' -o -name '*.tfquery.hcl' \) -printf '%h\n' | sort -u | wc -l) validated with both providers ($(cli_version "$tf"), terraform-provider-hcloud $(basename "$(dirname "$peer")" | sed "s/^hcloud-//"))"
exit "$failed"
