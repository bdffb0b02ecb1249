path "secret/+" {
  capabilities = ["read"]
}
path "secret/b/*" {
  capabilities = ["list"]
}
