path "secret/a" {
  capabilities = ["read"]
  expiration = 1000000000
}
path "secret/b" {
  capabilities = ["read"]
}
