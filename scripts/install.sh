#!/usr/bin/env bash
# Installs the provider where Terraform and OpenTofu look for providers without any CLI
# configuration: the implied local mirror directory ~/.terraform.d/plugins, which both scan (on
# Linux and macOS), once for each CLI's default registry host. A configuration with
# `source = "tf-hetzner/hetzner"` then needs only `terraform init` (or `tofu init`), offline, and
# keeps working unchanged once the provider is published.
#
# The version is the git tag on a clean checkout of a tag (v1.2.3 installs 1.2.3), otherwise
# 0.0.0+dev: a development build. The CLIs never select a pre-release such as 0.0.0-dev unless a
# configuration names it exactly, while build metadata (+dev) leaves the version an ordinary
# release to them. Other versions of this provider in those directories are removed, so that the
# build just installed is the one `init` picks.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

version=0.0.0+dev
if tag=$(git describe --tags --exact-match --dirty --match 'v[0-9]*' 2>/dev/null) &&
  [[ "$tag" =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]]; then
  version=${BASH_REMATCH[1]}
fi
platform="$(go env GOOS)_$(go env GOARCH)"
plugins="$HOME/.terraform.d/plugins"

go_modules
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -trimpath -ldflags "-s -w -X main.version=$version" -o "$work/terraform-provider-hetzner_v$version" .

for host in registry.terraform.io registry.opentofu.org; do
  base="$plugins/$host/tf-hetzner/hetzner"
  if [[ -d "$base" ]]; then
    for old in "$base"/*; do
      [[ "${old##*/}" == "$version" ]] && continue
      rm -rf "$old"
      echo "removed tf-hetzner/hetzner ${old##*/} from $base"
    done
  fi
  mkdir -p "$base/$version/$platform"
  cp "$work/terraform-provider-hetzner_v$version" "$base/$version/$platform/"
done
echo "installed tf-hetzner/hetzner $version ($platform) into $plugins/{registry.terraform.io,registry.opentofu.org}/tf-hetzner/hetzner/"
echo "a configuration with source = \"tf-hetzner/hetzner\" finds it with terraform init or tofu init; one that"
echo "was initialised with an earlier build of the same version needs init -upgrade (its lock file holds the old checksum)"
