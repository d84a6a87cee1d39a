#!/usr/bin/env bash
# Runs the acceptance tests against the in-process emulator with a real CLI.
#   scripts/testacc.sh terraform|tofu [parallel]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

cli=$(scripts/cli.sh "$1")
# The official provider, which the peer conformance suite and the examples run next to ours.
peer=$(scripts/cli.sh hcloud)
parallel=${2:-4}
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
TF_ACC=1 TF_ACC_TERRAFORM_PATH="$cli" TF_ACC_HCLOUD_PROVIDER="$peer" TF_ACC_PROVIDER_HOST="$host" \
  go test -count=1 -timeout 60m -parallel "$parallel" -run '^TestAcc' ./internal/...
