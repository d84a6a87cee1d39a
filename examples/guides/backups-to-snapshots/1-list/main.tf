terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

provider "hetzner" {}

variable "server_id" {
  description = "The server to be deleted."
  type        = number
}

# Every backup of the server: Hetzner's daily ones and those made with type = "backup".
data "hetzner_images" "backups" {
  type        = ["backup"]
  bound_to    = var.server_id
  most_recent = true
}

output "backups" {
  description = "Image ID => creation time, ready to paste into step 2."
  value       = { for img in data.hetzner_images.backups.images : img.id => img.created }
}
