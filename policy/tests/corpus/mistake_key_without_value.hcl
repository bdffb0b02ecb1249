path "secret/a" {
  capabilities
}
