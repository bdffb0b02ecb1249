path "secret/a" {
  capabilities = ["read"]
  min_wrapping_ttl = 5
  min_wrapping_ttl = "1h"
}
