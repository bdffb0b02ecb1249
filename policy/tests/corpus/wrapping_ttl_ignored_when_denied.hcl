path "secret/a" {
  capabilities = ["deny"]
  min_wrapping_ttl = "nonsense"
}
