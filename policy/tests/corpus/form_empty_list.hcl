path "secret/a" {
  capabilities = []
}
