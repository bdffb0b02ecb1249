path "secret/a" {
  capabilities =
}
