path "secret/data/in-case-of-emergency" {
  capabilities = ["read"]
  expiration = "2006-01-02T15:04:05Z"
}
