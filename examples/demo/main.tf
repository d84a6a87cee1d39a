# The demo configuration: snapshots of two servers of the local emulator, read back through
# hetzner_images. scripts/demo.sh runs it; HCLOUD_TOKEN and HCLOUD_ENDPOINT come from the
# environment, as they do for the official hcloud provider.
terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

provider "hetzner" {}

variable "protect_web" {
  description = "Protect the web snapshot from deletion."
  type        = bool
  default     = true
}

resource "hetzner_image" "web" {
  server_id         = 101 # web-1 in the emulator's seed data
  description       = "web-1 before the upgrade"
  delete_protection = var.protect_web
  labels = {
    env  = "demo"
    role = "web"
  }
}

resource "hetzner_image" "db" {
  server_id   = 102 # db-1
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
