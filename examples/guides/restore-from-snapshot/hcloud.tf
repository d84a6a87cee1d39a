variable "ssh_public_key_file" {
  description = "Your public SSH key, put on the restored server for root (no root password is mailed then)."
  type        = string
  default     = "~/.ssh/id_ed25519.pub"
}

variable "server_type" {
  description = "The size of the server. Its disk must hold the snapshot's disk_size."
  type        = string
  default     = "cx23"
}

resource "hcloud_ssh_key" "admin" {
  name       = "admin"
  public_key = file(pathexpand(var.ssh_public_key_file))
}

resource "hcloud_server" "web" {
  name        = "web-1"
  server_type = var.server_type
  location    = "nbg1"
  image       = data.hetzner_image.web_newest.id
  ssh_keys    = [hcloud_ssh_key.admin.id]

  # A bigger server_type resizes the restored server in place (powered off, resized, started
  # again); keeping the disk as it is lets it go back down to the smaller type later.
  keep_disk = true

  lifecycle {
    # A newer snapshot must not replace the running server on the next apply:
    # restore on purpose, with terraform apply -replace=hcloud_server.web.
    ignore_changes = [image]
  }
}
