path "secret/a" {
  capabilities = ["bogus"]
  expiration = "2001-01-01T00:00:00Z"
}
