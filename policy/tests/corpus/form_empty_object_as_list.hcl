path "secret/a" {
  capabilities = {}
}
