terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

provider "hetzner" {}

locals {
  server_id = 102 # db-1, the server to be deleted
  # Step 1's output: the backups to keep, image ID => creation time.
  backups = {
    "900101" = "2025-06-01T03:12:44Z"
    "900102" = "2025-06-02T03:10:08Z"
  }
}

# Adopt the backups that Terraform does not manage yet. Leave out any that already are.
import {
  for_each = local.backups
  to       = hetzner_image.kept[each.key]
  id       = each.key
}

resource "hetzner_image" "kept" {
  for_each    = local.backups
  server_id   = local.server_id
  type        = "snapshot" # imported as "backup": converted in place, no longer bound to the server
  description = "db-1 backup of ${each.value}"
  labels = {
    role = "db"
    kept = "decommission"
  }
}
