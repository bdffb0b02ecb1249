path "secret/*" {
  capabilities = ["scan", "patch", "list"]
}
