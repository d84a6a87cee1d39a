variable "os_image" {
  description = "The image the server runs. Changing it rebuilds the server from scratch: the upgrade."
  type        = string
  default     = "ubuntu-24.04"
}

resource "hcloud_server" "web" {
  name        = "web-1"
  server_type = "cx23"
  location    = "nbg1"
  image       = var.os_image
}
