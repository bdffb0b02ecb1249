path "secret/a" {
  capabilities = ["read"]
}
name =