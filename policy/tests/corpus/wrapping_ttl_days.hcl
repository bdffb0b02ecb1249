path "secret/a" {
  capabilities = ["read"]
  max_wrapping_ttl = "2d"
}
