# The newest snapshot labelled env=prod, role=web that is ready to boot from. Several snapshots
# match, so most_recent picks the newest; without it, several matches are an error that lists them.
data "hetzner_image" "prod_web" {
  label_selector = "env=prod,role=web"
  type           = ["snapshot"]
  status         = ["available"]
  most_recent    = true
}

# The newest backup of a server, among the backups that carry a label (backups made by
# hetzner_image with type = "backup"). Daily backups made by Hetzner carry no labels: find those
# with the hetzner_images data source (see its example).
data "hetzner_image" "db_backup" {
  label_selector = "role=db"
  type           = ["backup"]
  bound_to       = 102 # the server's id, e.g. hcloud_server.db.id
  most_recent    = true
}

# A system image by name and architecture. A name exists once per architecture and there is no
# default: without architecture, a name with builds for x86 and arm is an error.
data "hetzner_image" "debian_arm" {
  name         = "debian-12"
  architecture = "arm"
}

# An image by id. The filters still apply, so this fails (instead of booting something else)
# if the image is not an available snapshot.
data "hetzner_image" "pinned" {
  id     = data.hetzner_image.prod_web.id
  type   = ["snapshot"]
  status = ["available"]
}

# A deprecated system image is only found with include_deprecated = true, and reading it warns
# until when it can still be used.
data "hetzner_image" "legacy" {
  name               = "ubuntu-20.04"
  architecture       = "x86"
  include_deprecated = true
}

output "prod_web_snapshot" {
  # The image's own type and status are image_type and image_status: type and status are filters.
  value = "${data.hetzner_image.prod_web.id} (${data.hetzner_image.prod_web.image_type}, created ${data.hetzner_image.prod_web.created})"
}

output "debian_arm_image_id" {
  value = data.hetzner_image.debian_arm.id
}
