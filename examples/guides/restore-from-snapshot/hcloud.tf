resource "hcloud_server" "web" {
  name        = "web-1"
  server_type = "cx23"
  location    = "nbg1"
  image       = data.hetzner_image.web_newest.id

  lifecycle {
    # A newer snapshot must not replace the running server on the next apply:
    # restore on purpose, with terraform apply -replace=hcloud_server.web.
    ignore_changes = [image]
  }
}
