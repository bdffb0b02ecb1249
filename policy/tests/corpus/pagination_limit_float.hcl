path "secret/*" {
  capabilities = ["list"]
  pagination_limit = 1.5
}
