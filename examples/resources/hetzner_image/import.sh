# By image ID.
terraform import hetzner_image.db_before_upgrade 123456789

# By a label selector that matches exactly one snapshot or backup (zero or several matches are
# an error that lists what matched).
terraform import hetzner_image.db_before_upgrade 'selector:env=prod,role=db'
