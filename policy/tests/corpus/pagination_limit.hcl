path "secret/*" {
  capabilities = ["list"]
  pagination_limit = 100
  required_parameters = ["limit"]
}
