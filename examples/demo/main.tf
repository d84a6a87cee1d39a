# The demo configuration: snapshots of two servers of the local emulator.
# scripts/demo.sh runs it; HCLOUD_TOKEN and HCLOUD_ENDPOINT come from the environment.
terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

provider "hetzner" {}

variable "web_server_id" {
  description = "Server to snapshot (web-1 in the emulator's seed data)."
  type        = number
  default     = 101
}

variable "db_server_id" {
  description = "Server with backups enabled (db-1 in the emulator's seed data)."
  type        = number
  default     = 102
}

resource "hetzner_image" "web" {
  server_id   = var.web_server_id
  description = "web-1 before the upgrade"
  labels = {
    env  = "demo"
    role = "web"
  }
}

resource "hetzner_image" "db" {
  server_id   = var.db_server_id
  description = "db-1 nightly"
  labels = {
    env  = "demo"
    role = "db"
  }
}

output "snapshots" {
  description = "The snapshots, by role."
  value = {
    for name, img in { web = hetzner_image.web, db = hetzner_image.db } :
    name => "id ${img.id}, ${img.status}, ${img.image_size} GB of ${img.disk_size} GB disk, ${img.architecture}, from ${img.created_from.name}"
  }
}
