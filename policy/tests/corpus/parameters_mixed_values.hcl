path "secret/a" {
  capabilities = ["create"]
  allowed_parameters = {
    "n" = [1, 2.5, true, "x", ["nested"], { a = 1 }]
  }
}
