terraform {
  # terraform query came with Terraform 1.14.
  required_version = ">= 1.14"
  required_providers {
    hetzner = { source = "tf-hetzner/hetzner" }
  }
}

# The token and the endpoint come from HCLOUD_TOKEN and HCLOUD_ENDPOINT.
provider "hetzner" {}
