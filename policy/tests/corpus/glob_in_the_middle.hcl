path "secret/*/config" {
  capabilities = ["read"]
}
