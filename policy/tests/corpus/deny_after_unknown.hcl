path "secret/a" {
  capabilities = ["bogus", "deny"]
}
