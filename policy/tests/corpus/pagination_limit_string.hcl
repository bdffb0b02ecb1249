path "secret/*" {
  capabilities = ["list"]
  pagination_limit = "0x10"
}
