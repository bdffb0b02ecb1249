path "secret/a" {
  capabilities = ["read"]
  expiration = "2999-12-31T23:59:59Z"
}
