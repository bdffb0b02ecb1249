path "secret/a" {
  policy = "admin"
}
