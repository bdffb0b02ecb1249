path "secret/data/app" {
  capabilities = ["read", "recover"]
}
