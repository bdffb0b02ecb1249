path "secret/a" {
  capabilities = [true]
}
