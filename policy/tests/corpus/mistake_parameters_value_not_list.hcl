path "secret/a" {
  capabilities = ["create"]
  allowed_parameters = {
    "x" = "y"
  }
}
