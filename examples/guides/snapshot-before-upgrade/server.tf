variable "os_image" {
  description = "The image the server runs. Changing it rebuilds the server from scratch: the upgrade."
  type        = string
  default     = "ubuntu-24.04"
}

variable "server_type" {
  description = "The size of the server. Changing it resizes the server in place: the hardware upgrade."
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
  image       = var.os_image
  ssh_keys    = [hcloud_ssh_key.admin.id]

  # Resize without growing the disk, so that the server can go back to the smaller type.
  keep_disk = true
}
