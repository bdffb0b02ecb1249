path "secret/a" {
  capabilities = ["create"]
  required_parameters = "name"
}
