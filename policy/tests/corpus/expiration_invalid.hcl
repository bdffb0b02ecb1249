path "secret/a" {
  capabilities = ["read"]
  expiration = "next tuesday"
}
