path "secret/a" {
  capabilities = ["root"]
}
