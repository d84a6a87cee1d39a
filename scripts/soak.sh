#!/usr/bin/env bash
# The fault soak: apply/plan/update/destroy cycles with the real CLI while the emulator
# injects faults, until FAULTS faults were injected. Prints the figures and exits non-zero on
# any orphaned image, duplicate, lost state entry or command that failed for good.
#   scripts/soak.sh [faults] [seed] [rate]     (defaults 200, 1, 0.2)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
cli=$(scripts/cli.sh "${SOAK_CLI:-terraform}")
go_modules
cfg=$(mktemp -d)
trap 'rm -rf "$cfg"' EXIT
cli_config "$cfg/cli.tfrc"
TF_ACC=1 TF_ACC_TERRAFORM_PATH="$cli" \
  SOAK_FAULTS="${1:-200}" SOAK_SEED="${2:-1}" SOAK_RATE="${3:-0.2}" \
  go test -count=1 -timeout 120m -run '^TestSoak$' -v ./internal/e2e/ | grep -v -e '^=== RUN' -e '^    emulatortest.go'
