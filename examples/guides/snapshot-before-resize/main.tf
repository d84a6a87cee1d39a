variable "server_type" {
  description = "The size of the server. Changing it resizes the server in place, after a snapshot."
  type        = string
  default     = "cx23"
}

variable "ssh_public_key_file" {
  description = "Your public SSH key, put on the server for root (no root password is mailed then)."
  type        = string
  default     = "~/.ssh/id_ed25519.pub"
}

resource "hcloud_ssh_key" "admin" {
  name       = "admin"
  public_key = file(pathexpand(var.ssh_public_key_file))
}

resource "hcloud_server" "web" {
  name        = "web-1"
  server_type = var.server_type
  location    = "nbg1"
  image       = "ubuntu-24.04"
  ssh_keys    = [hcloud_ssh_key.admin.id]

  # Resize without growing the disk, so that the server can go back to the smaller type.
  keep_disk = true

  lifecycle {
    # Before every in-place change of the server (a resize, but also a rename or new labels),
    # a consistent snapshot; the change waits for it, and does not happen if it fails.
    action_trigger {
      events  = [before_update]
      actions = [action.hetzner_create_image.before_resize]
    }
  }
}

action "hetzner_create_image" "before_resize" {
  config {
    # caller is the server being changed: its id as it is now.
    server_id   = caller.id
    description = "web-1 before a resize"

    # keep_last counts and deletes only the snapshots of web-1 with these labels.
    labels    = { purpose = "before-resize" }
    keep_last = 5

    # Shut the server down gracefully, copy its disk while it is off, power it on again.
    shutdown_before_create = true
    shutdown_timeout       = "3m"
  }
}
