#!/usr/bin/env bash
# The demo: build the provider, start the local API emulator, and drive examples/demo with a
# real Terraform or OpenTofu CLI through a dev_overrides CLI configuration: create, plan, read
# back, import, and a protected destroy. It uses the terraform or tofu on PATH when it is new
# enough (HETZNER_CLI=/path picks one), and builds the pinned Terraform only when there is none.
# Nothing leaves this machine; every temporary file is removed at the end, and any unexpected
# result exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
started=$SECONDS

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\n\033[31mdemo failed: %s\033[0m\n' "$*" >&2; exit 1; }

work=$(mktemp -d)
emulator_pid=
cleanup() {
  if [[ -n "$emulator_pid" ]]; then kill "$emulator_pid" 2>/dev/null || true; wait "$emulator_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

step "Finding Terraform or OpenTofu"
tf=$(scripts/cli.sh user)
version=$(cli_version "$tf")
tf_name=terraform
[[ "$version" == OpenTofu* ]] && tf_name=tofu

step "Building the provider and the API emulator"
go_modules
go build -o "$work/bin/terraform-provider-hetzner" .
go build -o "$work/hcloud-emulator" ./cmd/hcloud-emulator
go build -o "$work/scriptutil" ./scripts/scriptutil
# The official provider finds the servers (data "hcloud_server"); built like Terraform.
hcloud_provider=$(scripts/cli.sh hcloud)

step "Starting the emulator on a loopback port (actions take 2 s, like a small disk)"
mkfifo "$work/emulator.out"
"$work/hcloud-emulator" --listen 127.0.0.1:0 --action-duration 2s --quiet >"$work/emulator.out" &
emulator_pid=$!
exec 3<"$work/emulator.out"
read -r endpoint_line <&3 || fail "the emulator did not start"
export "${endpoint_line?}"
cat <&3 >/dev/null &
echo "$endpoint_line"
# A token of the real shape: the emulator accepts any such token, the real API none of these.
export HCLOUD_TOKEN=demo0000demo0000demo0000demo0000demo0000demo0000demo0000demo0000

# The demo's own CLI configuration (the machine may name one that does not exist): the provider
# just built and the official one, through dev_overrides.
cli_config "$work/cli.tfrc" "$work/bin" "$(dirname "$hcloud_provider")"
cp examples/demo/*.tf "$work/"
cd "$work"

# The CLI without the warning that dev_overrides prints on every command: said once here.
echo "($version uses the provider just built, through dev_overrides.)"
tf_run() {
  "$tf" "$@" -no-color 2>&1 | without_override_warning
  return "${PIPESTATUS[0]}"
}
api() { curl -sf -H "Authorization: Bearer $HCLOUD_TOKEN" "$@"; }
user_images() { api "${HCLOUD_ENDPOINT}/images?type=snapshot&type=backup" | "$work/scriptutil" images; }

step "1. $tf_name apply: snapshot web-1 (protected) and db-1, then read them back with hetzner_images"
# The plan's attribute lists are long: show what will happen, then everything from the summary on.
tf_run apply -auto-approve | awk '/# .* will be/ { print } /^Plan:/ { p = 1 } p && !/^$/' || fail "apply"

step "2. $tf_name plan: nothing to change"
set +e; tf_run plan -detailed-exitcode | grep -v '^$'; code=${PIPESTATUS[0]}; set -e
[[ $code -eq 0 ]] || fail "the plan after apply is not empty (exit $code)"

step "3. A snapshot made outside ${version%% *} (arm-1, through the API), imported with an import block"
image_id=$(api -X POST "${HCLOUD_ENDPOINT}/servers/103/actions/create_image" -H 'Content-Type: application/json' \
  -d '{"description":"arm-1 by hand","labels":{"env":"demo","role":"arm"}}' | "$work/scriptutil" get image.id)
echo "made image $image_id outside ${version%% *}"
cat >outside.tf <<HCL
resource "hetzner_image" "arm" {
  server_id   = 103
  description = "arm-1 by hand"
  labels      = { env = "demo", role = "arm" }
}
HCL
cat >import.tf <<HCL
import {
  to = hetzner_image.arm
  id = "$image_id"
}
HCL
echo "--- import.tf"; cat import.tf; echo "---"
tf_run apply -auto-approve | grep -e 'Import' -e 'import' -e 'Apply complete' || fail "import"
rm import.tf # the import is done; the block would only be noise from now on
set +e; tf_run plan -detailed-exitcode >/dev/null; code=$?; set -e
[[ $code -eq 0 ]] || fail "the plan after the import is not empty (exit $code)"
echo "plan after the import: no changes"

step "What the API holds now"
user_images

step "4. $tf_name destroy: the protected snapshot is refused, the others go"
set +e; out=$(tf_run destroy -auto-approve); code=$?; set -e
[[ $code -ne 0 ]] || fail "destroy of a protected snapshot succeeded"
echo "$out" | grep -e 'Destruction complete' -e 'Error:' -e 'has delete protection' -e 'set delete_protection' -e 'destroy again' || true
user_images

step "5. Lift the protection (delete_protection = false), then destroy"
tf_run apply -auto-approve -var protect_web=false -target=hetzner_image.web | grep -e 'Modifying' -e 'Modifications complete' -e 'Apply complete' || fail "lifting protection"
tf_run destroy -auto-approve -var protect_web=false | grep -e 'Destruction complete' -e 'Destroy complete' || fail "destroy"
left=$(api "${HCLOUD_ENDPOINT}/images?type=snapshot&type=backup" | "$work/scriptutil" get 'images.#')
[[ $left -eq 0 ]] || fail "$left images left in the API"
echo "No snapshot left in the API."

requests=$(curl -sf "${HCLOUD_ENDPOINT%/v1}/__emulator/requests" | "$work/scriptutil" get total)
step "Done in $((SECONDS - started)) s: $requests API requests in all. Everything temporary is removed."
