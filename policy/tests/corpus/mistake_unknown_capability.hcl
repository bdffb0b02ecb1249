path "secret/a" {
  capabilities = ["reed"]
}
