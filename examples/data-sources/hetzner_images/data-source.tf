variable "db_server_id" {
  description = "The server whose backups to list, e.g. hcloud_server.db.id."
  type        = number
  default     = 102
}

# The newest backup of a server: its backups, newest first.
data "hetzner_images" "db_backups" {
  type        = ["backup"]
  bound_to    = var.db_server_id
  status      = ["available"]
  most_recent = true
}

# The newest snapshot by label.
data "hetzner_images" "prod_web" {
  label_selector = "env=prod,role=web"
  type           = ["snapshot"]
  status         = ["available"]
  most_recent    = true
}

# A system image by name, one per architecture.
data "hetzner_images" "debian" {
  name = "debian-12"
  type = ["system"]
}

# Keep the last 7 nightly snapshots: newest first, everything after the seventh is expired.
# A scheduled job can delete the expired ones (hcloud image delete <id>); protected snapshots
# are never offered for deletion.
data "hetzner_images" "nightly" {
  label_selector = "schedule=nightly"
  type           = ["snapshot"]
  most_recent    = true
}

locals {
  newest_db_backup = one(slice(data.hetzner_images.db_backups.images, 0, min(1, length(data.hetzner_images.db_backups.images))))

  debian_by_architecture = { for img in data.hetzner_images.debian.images : img.architecture => img.id }

  nightly_kept    = [for i, img in data.hetzner_images.nightly.images : img.id if i < 7]
  nightly_expired = [for i, img in data.hetzner_images.nightly.images : img.id if i >= 7 && !img.delete_protection]
}

output "newest_db_backup_id" {
  # null when the server has no backup yet
  value = local.newest_db_backup == null ? null : local.newest_db_backup.id
}

output "newest_prod_web_snapshot_id" {
  value = length(data.hetzner_images.prod_web.images) > 0 ? data.hetzner_images.prod_web.images[0].id : null
}

output "debian_arm_image_id" {
  value = local.debian_by_architecture["arm"]
}

output "nightly_snapshots_to_keep" {
  value = local.nightly_kept
}

output "nightly_snapshots_to_delete" {
  value = local.nightly_expired
}
