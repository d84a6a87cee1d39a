# Before: snapshots managed with the official provider's hcloud_snapshot.
terraform {
  required_providers {
    hcloud = { source = "hetznercloud/hcloud" }
  }
}

provider "hcloud" {} # token from HCLOUD_TOKEN

variable "server_id" {
  description = "The server the snapshots are made of (in a full configuration, hcloud_server.db.id)."
  type        = number
}

resource "hcloud_snapshot" "db" {
  server_id   = var.server_id
  description = "db before the upgrade"
  labels      = { env = "prod", role = "db" }

  timeouts {
    create = "2h" # a large disk
  }
}

resource "hcloud_snapshot" "release" {
  for_each = toset(["v1", "v2"])

  server_id   = var.server_id
  description = "db at release ${each.key}"
  labels      = { release = each.key }
}
