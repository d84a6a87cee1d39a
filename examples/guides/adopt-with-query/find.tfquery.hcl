# Every snapshot of the project that is written, and every backup.
list "hetzner_image" "snapshots" {
  provider = hetzner
  limit    = 1000 # Terraform lists 100 results unless told otherwise

  config {
    type   = ["snapshot"]
    status = ["available"]
  }
}

list "hetzner_image" "backups" {
  provider = hetzner
  limit    = 1000

  config {
    type = ["backup"]
  }
}
