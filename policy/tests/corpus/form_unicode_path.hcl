path "secret/café/ü" {
  capabilities = ["read"]
}
