path "secret/a" {
  capabilities = ["read"]
  min_wrapping_ttl = "5 minutes"
}
