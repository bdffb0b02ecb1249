path "secret/a" {
  policy = 5
}
