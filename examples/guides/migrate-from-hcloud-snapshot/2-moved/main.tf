# After: the same snapshots managed as hetzner_image, taken over with moved blocks
# (Terraform 1.8 or later, or OpenTofu). Nothing is created, copied or deleted.
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

moved {
  from = hcloud_snapshot.db
  to   = hetzner_image.db
}

resource "hetzner_image" "db" {
  server_id   = var.server_id
  description = "db before the upgrade"
  # A label added in the same change: the plan shows the move and one in-place update.
  labels = { env = "prod", role = "db", keep = "forever" }

  timeouts {
    create = "2h" # a large disk
  }
}

# One moved block moves every instance of a for_each resource.
moved {
  from = hcloud_snapshot.release
  to   = hetzner_image.release
}

resource "hetzner_image" "release" {
  for_each = toset(["v1", "v2"])

  server_id   = var.server_id
  description = "db at release ${each.key}"
  labels      = { release = each.key }
}
