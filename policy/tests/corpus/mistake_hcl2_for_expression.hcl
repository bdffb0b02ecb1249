path "secret/a" {
  capabilities = [for c in ["read"] : c]
}
