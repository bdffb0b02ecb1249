path "secret/a" {
  capabilities = ["read"] / not a comment
}
