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

# Both read HCLOUD_TOKEN.
provider "hcloud" {}
provider "hetzner" {}

variable "server_name" {
  description = "The name of the server to snapshot."
  type        = string
}

# The server, found by name with the official provider's data source.
data "hcloud_server" "this" {
  name = var.server_name
}

variable "keep" {
  description = "How many snapshots to keep. Changing it starts a new rotation (every slot is replaced)."
  type        = number
  default     = 7
}

variable "rotation" {
  description = "A number that grows by one per rotation, such as the days since 1970-01-01: $(( $(date +%s) / 86400 ))."
  type        = number
}

# One trigger per slot. Its value changes only on the rotation that is the slot's turn
# (rotation % keep == slot), so applying twice in one rotation changes nothing.
resource "terraform_data" "turn" {
  count = var.keep
  input = floor((var.rotation - count.index) / var.keep)
}

resource "hetzner_image" "rotating" {
  count       = var.keep
  server_id   = data.hcloud_server.this.id
  description = "rotating snapshot, slot ${count.index}"
  labels = {
    rotation = "nightly-${data.hcloud_server.this.id}"
  }

  lifecycle {
    replace_triggered_by = [terraform_data.turn[count.index]]
    # Write the new snapshot before deleting the one it replaces.
    create_before_destroy = true
  }
}

# The newest snapshot of the rotation, read after this run's snapshot is written.
data "hetzner_image" "newest" {
  label_selector = "rotation=nightly-${data.hcloud_server.this.id}"
  type           = ["snapshot"]
  status         = ["available"]
  most_recent    = true

  depends_on = [hetzner_image.rotating]
}

output "newest_snapshot_id" {
  value = data.hetzner_image.newest.id
}
