terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

provider "hetzner" {}

# The snapshots to adopt. Each selector must match exactly one snapshot or backup; server_id
# is the server it was made from (its created_from.id), or the import plans a replacement.
locals {
  prod_snapshots = {
    web = { selector = "env=prod,role=web", server_id = 101 }
    db  = { selector = "env=prod,role=db", server_id = 102 }
  }
  # Numeric IDs work the same way: "selector:..." or the ID.
  archived = {
    "2024-12-31" = { id = "900001", server_id = 103 }
  }
}

import {
  for_each = local.prod_snapshots
  to       = hetzner_image.prod[each.key]
  id       = "selector:${each.value.selector}"
}

resource "hetzner_image" "prod" {
  for_each  = local.prod_snapshots
  server_id = each.value.server_id
  # Labels are managed as a whole: write down all of them, or the plan removes the others.
  labels = {
    env  = "prod"
    role = each.key
  }
}

import {
  for_each = local.archived
  to       = hetzner_image.archived[each.key]
  id       = each.value.id
}

resource "hetzner_image" "archived" {
  for_each          = local.archived
  server_id         = each.value.server_id
  delete_protection = true
}
