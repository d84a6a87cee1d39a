terraform {
  required_providers {
    hcloud = {
      source = "hetznercloud/hcloud"
    }
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

# Both read HCLOUD_TOKEN: one `export HCLOUD_TOKEN=...` configures both.
provider "hcloud" {}
provider "hetzner" {}
