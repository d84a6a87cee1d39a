#!/usr/bin/env bash
# The demo: build the provider, start the local API emulator, and drive examples/demo with a
# real Terraform CLI through a dev_overrides CLI configuration: create, plan, read back, import,
# and a protected destroy. Nothing leaves this machine; every temporary file is removed at the
# end, and any unexpected result exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
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

# The machine may name a CLI configuration that does not exist; the demo uses its own.
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
: >"$TF_CLI_CONFIG_FILE"

step "Building the provider and the API emulator"
go build -o "$work/bin/terraform-provider-hetzner" .
go build -o "$work/hcloud-emulator" ./cmd/hcloud-emulator

step "Finding Terraform (built from the Go module proxy on the first run, about 2 minutes)"
tf=$(scripts/cli.sh terraform)
"$tf" version | head -n 1

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

cat >"$TF_CLI_CONFIG_FILE" <<CFG
provider_installation {
  dev_overrides {
    "tf-hetzner/hetzner" = "$work/bin"
  }
  direct {}
}
CFG
cp examples/demo/*.tf "$work/"
cd "$work"

# The CLI without the warning that dev_overrides prints on every command: said once here.
echo "(Terraform uses the provider just built, through dev_overrides.)"
tf_run() {
  "$tf" "$@" -no-color 2>&1 | awk '
    /^Warning: Provider development overrides are in effect/ { skip = 1; next }
    skip && /^releases\.$/ { skip = 2; next }
    skip == 2 && /^$/ { skip = 0; next }
    skip { next }
    { print }'
  return "${PIPESTATUS[0]}"
}
api() { curl -sf -H "Authorization: Bearer $HCLOUD_TOKEN" "$@"; }
user_images() {
  api "${HCLOUD_ENDPOINT}/images?type=snapshot&type=backup" | python3 -c '
import json, sys
images = json.load(sys.stdin)["images"]
for i in images:
    print("  image %d: %s of %s, %s, protected %s, labels %s" % (i["id"], i["type"], i["created_from"]["name"],
          i["status"], i["protection"]["delete"], ",".join("%s=%s" % kv for kv in sorted(i["labels"].items()))))
print("  (%d image%s)" % (len(images), "" if len(images) == 1 else "s"))'
}

step "1. terraform apply: snapshot web-1 (protected) and db-1, then read them back with hetzner_images"
# The plan's attribute lists are long: show what will happen, then everything from the summary on.
tf_run apply -auto-approve | awk '/# .* will be/ { print } /^Plan:/ { p = 1 } p && !/^$/' || fail "apply"

step "2. terraform plan: nothing to change"
set +e; tf_run plan -detailed-exitcode | grep -v '^$'; code=${PIPESTATUS[0]}; set -e
[[ $code -eq 0 ]] || fail "the plan after apply is not empty (exit $code)"

step "3. A snapshot made outside Terraform (arm-1, through the API), imported with an import block"
image_id=$(api -X POST "${HCLOUD_ENDPOINT}/servers/103/actions/create_image" -H 'Content-Type: application/json' \
  -d '{"description":"arm-1 by hand","labels":{"env":"demo","role":"arm"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["image"]["id"])')
echo "made image $image_id outside Terraform"
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

step "4. terraform destroy: the protected snapshot is refused, the others go"
set +e; out=$(tf_run destroy -auto-approve); code=$?; set -e
[[ $code -ne 0 ]] || fail "destroy of a protected snapshot succeeded"
echo "$out" | grep -e 'Destruction complete' -e 'Error:' -e 'has delete protection' -e 'set delete_protection' -e 'destroy again' || true
user_images

step "5. Lift the protection (delete_protection = false), then destroy"
tf_run apply -auto-approve -var protect_web=false -target=hetzner_image.web | grep -e 'Modifying' -e 'Modifications complete' -e 'Apply complete' || fail "lifting protection"
tf_run destroy -auto-approve -var protect_web=false | grep -e 'Destruction complete' -e 'Destroy complete' || fail "destroy"
left=$(api "${HCLOUD_ENDPOINT}/images?type=snapshot&type=backup" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["images"]))')
[[ $left -eq 0 ]] || fail "$left images left in the API"
echo "No snapshot left in the API."

requests=$(curl -sf "${HCLOUD_ENDPOINT%/v1}/__emulator/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
step "Done in $((SECONDS - started)) s: $requests API requests in all. Everything temporary is removed."
