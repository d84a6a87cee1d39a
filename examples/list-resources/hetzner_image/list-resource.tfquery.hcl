# The production snapshots, newest first: `terraform query` lists them, and
# `terraform query -generate-config-out=images.tf` writes an import block and a
# hetzner_image resource block for each.
list "hetzner_image" "prod" {
  provider = hetzner
  limit    = 500 # Terraform's default is 100

  config {
    label_selector = "env=prod"
    type           = ["snapshot"]
    status         = ["available"]
    most_recent    = true
  }
}
