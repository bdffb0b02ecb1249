PATH "secret/a" {
  capabilities = ["read"]
}
