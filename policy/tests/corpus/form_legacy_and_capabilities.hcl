path "secret/a" {
  capabilities = ["update"]
  policy = "read"
}
