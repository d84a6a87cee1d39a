# A snapshot of server 4711 with labels, protected from deletion, with longer waits than the
# defaults for a large disk.
resource "hetzner_image" "db_before_upgrade" {
  server_id   = 4711 # e.g. hcloud_server.db.id
  description = "db-1 before the PostgreSQL 17 upgrade"
  labels = {
    env  = "prod"
    role = "db"
  }
  delete_protection = true # terraform destroy refuses until this is false and applied

  timeouts {
    create = "3h"
    update = "30m"
    delete = "30m"
  }
}

# A backup of a server with backups enabled: bound to the server and deleted with it, until it
# is converted in place with type = "snapshot".
resource "hetzner_image" "db_backup" {
  server_id = 4711
  type      = "backup"
  labels    = { role = "db" }
}
