path "secret/a" {
  capabilities = ["read"]
  min_wrapping_ttl = []
  min_wrapping_ttl = "2d"
}
