#!/usr/bin/env bash
# Generates docs/ with tfplugindocs from the provider's schemas, templates/ and examples/.
#
#   scripts/docs.sh          regenerate docs/
#   scripts/docs.sh check    regenerate docs/, then fail if it differs from what git has
#
# tfplugindocs builds the provider and asks a Terraform CLI for its schema: the newest we test
# with, so that list resources and actions get their pages. It takes the first
# `terraform` on PATH and, finding none, downloads one: the pinned CLI goes first on PATH, and
# the script stops if that is not the one found (never pass --tf-version: it downloads too).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

mode=${1:-generate}
[[ "$mode" == generate || "$mode" == check ]] || { echo "usage: $0 [check]" >&2; exit 2; }

tfplugindocs=$(scripts/tool.sh tfplugindocs)
tf=$(scripts/cli.sh terraform-newest)
export PATH="$(dirname "$tf"):$PATH"
[[ "$(command -v terraform)" == "$tf" ]] || { echo "docs.sh: terraform on PATH is not $tf" >&2; exit 1; }

# An empty CLI configuration of our own: no user setting (dev_overrides, mirrors, credentials)
# changes how the schema is read. `terraform init -plugin-dir` needs no network.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cli_config "$work/cli.tfrc"

# The name is given, not derived from the directory (a clone may be called anything).
if ! "$tfplugindocs" generate --provider-name hetzner --rendered-provider-name hetzner >"$work/log" 2>&1; then
  cat "$work/log" >&2
  echo "docs.sh: tfplugindocs generate failed" >&2
  exit 1
fi
if ! "$tfplugindocs" validate --provider-name hetzner >>"$work/log" 2>&1; then
  cat "$work/log" >&2
  echo "docs.sh: tfplugindocs validate found problems in docs/" >&2
  exit 1
fi
echo "docs/ generated with $("$tfplugindocs" --version 2>&1) and $(cli_version "$tf")"

[[ "$mode" == check ]] || exit 0
untracked=$(git ls-files --others --exclude-standard -- docs/)
if ! git diff --quiet -- docs/ || [[ -n "$untracked" ]]; then
  {
    echo
    echo "docs/ is out of date: the schemas, templates/ or examples/ changed and the docs were not"
    echo "regenerated. Run 'make docs' and commit docs/. The differences:"
    git --no-pager diff --stat -- docs/
    [[ -z "$untracked" ]] || printf '  new file: %s\n' $untracked
    git --no-pager diff -- docs/ | head -n 60
  } >&2
  exit 1
fi
echo "docs/ is up to date."
