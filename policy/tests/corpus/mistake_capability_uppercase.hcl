path "secret/a" {
  capabilities = ["Read"]
}
