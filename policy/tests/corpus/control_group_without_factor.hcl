path "secret/a" {
  capabilities = ["read"]
  control_group = {
    ttl = "1h"
  }
}
