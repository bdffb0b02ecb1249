path "secret/a" {
  Capabilities = ["read"]
}
