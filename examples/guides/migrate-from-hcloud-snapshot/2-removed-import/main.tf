# After, for Terraform 1.7, which has no moves across resource types but removed blocks and
# import blocks with for_each: forget the hcloud_snapshot resources without destroying them, and
# import the same images as hetzner_image. Nothing is created, copied or deleted.
terraform {
  required_providers {
    hcloud  = { source = "hetznercloud/hcloud" }
    hetzner = { source = "tf-hetzner/hetzner" }
  }
}

provider "hcloud" {}  # still manages the servers
provider "hetzner" {} # reads the same HCLOUD_TOKEN

variable "server_id" {
  description = "The server the snapshots are made of (in a full configuration, hcloud_server.db.id)."
  type        = number
}

removed {
  from = hcloud_snapshot.db
  lifecycle {
    destroy = false
  }
}

removed {
  from = hcloud_snapshot.release
  lifecycle {
    destroy = false
  }
}

# An image is imported by its ID (terraform state show hcloud_snapshot.db shows it) or, as here,
# by a label selector that matches exactly one snapshot or backup.
import {
  to = hetzner_image.db
  id = "selector:env=prod,role=db"
}

resource "hetzner_image" "db" {
  server_id   = var.server_id
  description = "db before the upgrade"
  labels      = { env = "prod", role = "db", keep = "forever" }

  timeouts {
    create = "2h" # a large disk
  }
}

import {
  for_each = toset(["v1", "v2"])
  to       = hetzner_image.release[each.key]
  id       = "selector:release=${each.key}"
}

resource "hetzner_image" "release" {
  for_each = toset(["v1", "v2"])

  server_id   = var.server_id
  description = "db at release ${each.key}"
  labels      = { release = each.key }
}
