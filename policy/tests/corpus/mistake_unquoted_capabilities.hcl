path "secret/a" {
  capabilities = [read, list]
}
