# The demo configuration: snapshots of two servers of the local emulator, found by name with
# the official hcloud provider's data source, read back through hetzner_images.
# scripts/demo.sh runs it; both providers read HCLOUD_TOKEN and HCLOUD_ENDPOINT from the
# environment.
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

provider "hcloud" {}
provider "hetzner" {}

# The servers, as the hcloud provider sees them (in the emulator's seed data).
data "hcloud_server" "web" {
  name = "web-1"
}

data "hcloud_server" "db" {
  name = "db-1"
}

variable "protect_web" {
  description = "Protect the web snapshot from deletion."
  type        = bool
  default     = true
}

resource "hetzner_image" "web" {
  server_id         = data.hcloud_server.web.id
  description       = "web-1 before the upgrade"
  delete_protection = var.protect_web
  labels = {
    env  = "demo"
    role = "web"
  }
}

resource "hetzner_image" "db" {
  server_id   = data.hcloud_server.db.id
  description = "db-1 nightly"
  labels = {
    env  = "demo"
    role = "db"
  }
}

# Every image labelled env=demo, newest first, read after the snapshots exist.
data "hetzner_images" "demo" {
  label_selector = "env=demo"
  most_recent    = true
  depends_on     = [hetzner_image.web, hetzner_image.db]
}

output "snapshots" {
  description = "The managed snapshots."
  value = {
    for name, img in { web = hetzner_image.web, db = hetzner_image.db } :
    name => "id ${img.id}: ${img.status}, ${img.image_size} GB of a ${img.disk_size} GB disk, from ${img.created_from.name}, protected ${img.delete_protection}"
  }
}

output "demo_images" {
  description = "What hetzner_images finds with label_selector env=demo."
  value       = [for img in data.hetzner_images.demo.images : "${img.id} ${img.type} \"${img.description}\""]
}
