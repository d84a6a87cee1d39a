# A consistent snapshot of a server before every change of its type, keeping the last five.
resource "hcloud_server" "web" {
  name        = "web-1"
  server_type = "cx23"
  image       = "ubuntu-24.04"
  location    = "fsn1"
  keep_disk   = true

  lifecycle {
    action_trigger {
      events  = [before_update]
      actions = [action.hetzner_create_image.before_resize]
    }
  }
}

action "hetzner_create_image" "before_resize" {
  config {
    server_id              = caller.id
    description            = "web-1 before a resize"
    labels                 = { purpose = "before-resize" }
    shutdown_before_create = true
    keep_last              = 5
  }
}

# A snapshot on demand: terraform apply -invoke=action.hetzner_create_image.now
action "hetzner_create_image" "now" {
  config {
    server_id = hcloud_server.web.id
    labels    = { purpose = "on-demand" }
    keep_last = 3
  }
}
