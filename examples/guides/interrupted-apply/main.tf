terraform {
  required_providers {
    hetzner = {
      source = "tf-hetzner/hetzner"
    }
  }
}

provider "hetzner" {}

# The snapshot whose create was cut off by a hard kill. Its labels make it findable: the
# selector below matches it and nothing else.
resource "hetzner_image" "before_upgrade" {
  server_id   = 101
  description = "web before the upgrade"
  labels = {
    env     = "prod"
    role    = "web"
    purpose = "before-upgrade"
  }
}

# Adopt it instead of making a second one. Remove the block once the apply has imported it.
import {
  to = hetzner_image.before_upgrade
  id = "selector:env=prod,role=web,purpose=before-upgrade"
}

# To see what a server has, newest first (created_from names the server it was made from).
data "hetzner_images" "from_web" {
  type           = ["snapshot", "backup"]
  label_selector = "env=prod,role=web"
  sort           = ["created:desc"]
}

output "snapshots_of_web" {
  value = [for img in data.hetzner_images.from_web.images : "${img.id} ${img.created} ${img.description}"]
}
