terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

# Reads HCLOUD_TOKEN (and HCLOUD_ENDPOINT, if set) like the hcloud provider.
provider "hetzner" {}

# Or set everything explicitly.
provider "hetzner" {
  alias         = "explicit"
  token         = var.hcloud_token
  endpoint      = "https://api.hetzner.cloud/v1"
  poll_interval = "1s"
}

variable "hcloud_token" {
  description = "Hetzner Cloud API token (Read & Write) of the project."
  type        = string
  sensitive   = true
}
