# The hetzner part: a protected snapshot of the server.
resource "hetzner_image" "web_baseline" {
  server_id         = hcloud_server.web.id # another server would replace the snapshot
  description       = "web-1 baseline"
  labels            = { env = "prod", role = "web" }
  delete_protection = true
}

output "baseline_snapshot" {
  value = "${hetzner_image.web_baseline.id}: ${hetzner_image.web_baseline.image_size} GB, created ${hetzner_image.web_baseline.created}"
}
