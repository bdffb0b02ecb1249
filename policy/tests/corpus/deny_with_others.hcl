path "secret/*" {
  capabilities = ["read", "list"]
}
path "secret/locked" {
  capabilities = ["read", "deny"]
}
