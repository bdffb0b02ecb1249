path "secret/\u0061pp" {
  capabilities = ["read"]
}
