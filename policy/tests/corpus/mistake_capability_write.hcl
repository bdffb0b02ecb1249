path "secret/a" {
  capabilities = ["write"]
}
