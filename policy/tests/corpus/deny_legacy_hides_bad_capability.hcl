path "secret/a" {
  capabilities = ["bogus"]
  policy = "deny"
}
