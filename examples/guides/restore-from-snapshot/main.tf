# The newest snapshot of the web server that is ready to boot from. The architecture must
# match the server type (cx and cpx types are x86, cax types arm).
data "hetzner_image" "web_newest" {
  label_selector = "env=prod,role=web"
  type           = ["snapshot"]
  status         = ["available"]
  architecture   = "x86"
  most_recent    = true
}

output "restore_from" {
  value = "${data.hetzner_image.web_newest.id} (${data.hetzner_image.web_newest.description}, created ${data.hetzner_image.web_newest.created}, needs a disk of ${data.hetzner_image.web_newest.disk_size} GB or more)"
}
