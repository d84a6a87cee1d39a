# Terraform and OpenTofu 1.12 and later: by the image's identity, its ID as a number.
import {
  to       = hetzner_image.db_backup
  identity = { id = 123456790 }
}
