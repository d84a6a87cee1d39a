import {
  to = hetzner_image.db_before_upgrade
  id = "123456789" # or "selector:env=prod,role=db"
}
