paths "secret/a" {
  capabilities = ["read"]
}
