path "secret/a" {
  capabilities = ["read"]
  min_wrapping_ttl = 1
  max_wrapping_ttl = 3600
}
