# A consistent snapshot of the server as it runs now: taken while the server is off, and kept
# in Hetzner Cloud when the upgrade replaces the server (and with it this resource).
resource "hetzner_image" "before_upgrade" {
  server_id   = hcloud_server.web.id
  description = "web-1 on ${var.os_image}, before the next upgrade"
  labels = {
    role = "web"
    os   = var.os_image
  }

  # Shut the server down gracefully, copy its disk while it is off, power it on again.
  # The server is down for the whole copy.
  shutdown_before_create = true
  shutdown_timeout       = "3m"

  # Destroy and replacement only forget the image: it stays in Hetzner Cloud.
  skip_destroy = true
}

output "snapshot_before_upgrade" {
  value = "image ${hetzner_image.before_upgrade.id}: ${hetzner_image.before_upgrade.description}"
}
