#!/usr/bin/env bash
# The demo: build the provider, start the local API emulator, and run examples/demo with a real
# Terraform CLI through a dev_overrides CLI configuration. Nothing leaves this machine; every
# temporary file is removed at the end, and any failure exits non-zero.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

work=$(mktemp -d)
emulator_pid=
cleanup() {
  [[ -n "$emulator_pid" ]] && kill "$emulator_pid" 2>/dev/null && wait "$emulator_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

step "Building the provider and the API emulator"
go build -o "$work/bin/terraform-provider-hetzner" .
go build -o "$work/hcloud-emulator" ./cmd/hcloud-emulator

# The machine may name a CLI configuration that does not exist; the demo writes its own below.
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
: >"$TF_CLI_CONFIG_FILE"

step "Finding (or building, the first time) Terraform"
tf=$(scripts/cli.sh terraform)
"$tf" version | head -n 1

step "Starting the emulator on a loopback port"
mkfifo "$work/emulator.out"
"$work/hcloud-emulator" --listen 127.0.0.1:0 --action-duration 2s --quiet >"$work/emulator.out" &
emulator_pid=$!
exec 3<"$work/emulator.out"
read -r endpoint_line <&3
export "${endpoint_line?}"
cat <&3 >"$work/emulator.summary" &
echo "$endpoint_line"
# A token of the real shape; the emulator accepts any such token, the real API none of these.
export HCLOUD_TOKEN=demo0000demo0000demo0000demo0000demo0000demo0000demo0000demo0000

cat >"$work/cli.tfrc" <<CFG
provider_installation {
  dev_overrides {
    "tf-hetzner/hetzner" = "$work/bin"
  }
  direct {}
}
CFG
export TF_CLI_CONFIG_FILE="$work/cli.tfrc" TF_IN_AUTOMATION=1 CHECKPOINT_DISABLE=1
cp examples/demo/*.tf "$work/"
cd "$work"
# Runs the CLI without the warning box that dev_overrides prints on every command: the demo
# says once, above, that it uses a local build.
tf_run() {
  "$tf" "$@" -no-color 2>&1 | awk '
    /^Warning: Provider development overrides are in effect/ { skip = 1; next }
    skip && /^releases\.$/ { skip = 2; next }
    skip == 2 && /^$/ { skip = 0; next }
    skip { next }
    { print }'
  return "${PIPESTATUS[0]}"
}
images() {
  curl -sf "${HCLOUD_ENDPOINT}/images?type=snapshot&type=backup" -H "Authorization: Bearer $HCLOUD_TOKEN" | python3 -c "$1"
}

step "terraform apply: snapshot web-1 and db-1 (each waits for its action, 2 s in the emulator)"
tf_run apply -auto-approve

step "terraform plan: nothing to change"
set +e
tf_run plan -detailed-exitcode
code=$?
set -e
[[ $code -eq 0 ]] || { echo "plan is not empty (exit $code)"; exit 1; }

step "What the emulator holds now"
images '
import json, sys
for i in json.load(sys.stdin)["images"]:
    print("  image %d: %s of %s, %s, labels %s" % (i["id"], i["type"], i["created_from"]["name"], i["status"], i["labels"]))'

step "terraform destroy"
tf_run destroy -auto-approve
left=$(images 'import json, sys; print(len(json.load(sys.stdin)["images"]))')
[[ $left -eq 0 ]] || { echo "$left snapshots left behind"; exit 1; }
echo "No snapshot left in the emulator."

requests=$(curl -sf "${HCLOUD_ENDPOINT%/v1}/__emulator/requests" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')
step "Done: the demo made $requests API requests."
