#!/usr/bin/env bash
# Runs the acceptance tests against the in-process emulator with a real CLI.
#   scripts/testacc.sh terraform|terraform-newest|tofu [parallel] [go test -run pattern]
# On the newest Terraform no acceptance test may skip: a test that needs a newer Terraform than
# the newest we test with has not run anywhere, so that run fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

cli=$(scripts/cli.sh "$1")
# The official provider, which the peer conformance suite and the examples run next to ours.
peer=$(scripts/cli.sh hcloud)
parallel=${2:-4}
run=${3:-^TestAcc}
go_modules
# An empty CLI configuration of our own, so no user setting (dev_overrides, mirrors) changes what
# the tests see.
cfg=$(mktemp -d)
trap 'rm -rf "$cfg"' EXIT
cli_config "$cfg/cli.tfrc"

# terraform-plugin-testing names the provider registry.terraform.io/hashicorp/hetzner; OpenTofu
# only reattaches providers of its own default registry host.
host=registry.terraform.io
[[ "$1" == tofu ]] && host=registry.opentofu.org

echo "acceptance tests with $(cli_version "$cli") and terraform-provider-hcloud at $peer"
status=0
# -v, so that every test's PASS or SKIP line (with its reason) is in the log.
TF_ACC=1 TF_ACC_TERRAFORM_PATH="$cli" TF_ACC_HCLOUD_PROVIDER="$peer" TF_ACC_PROVIDER_HOST="$host" \
  go test -count=1 -timeout 60m -parallel "$parallel" -v -run "$run" ./internal/... 2>&1 | tee "$cfg/out" || status=$?
if [[ "$1" == terraform-newest ]]; then
  # With TF_ACC set, an acceptance test skips only for a CLI too old for it, which the newest is
  # not: any skip here (tfversion.SkipBelow says "is below minimum version") ran nowhere.
  if grep -n -e '^ *--- SKIP' -e 'is below minimum version' "$cfg/out"; then
    echo "testacc.sh: the tests above skipped on $(cli_version "$cli"), the newest CLI we test with: they ran nowhere" >&2
    status=1
  fi
fi
exit "$status"
