# The hcloud part: the official provider manages the server.
resource "hcloud_server" "web" {
  name        = "web-1"
  server_type = "cx23"
  image       = "ubuntu-24.04"
  location    = "nbg1"
}
