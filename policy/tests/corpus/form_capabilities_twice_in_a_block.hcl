path "secret/a" {
  capabilities = ["read"]
  capabilities = ["list"]
}
