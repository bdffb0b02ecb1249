path "secret/a" {
  capabilities = [5]
}
