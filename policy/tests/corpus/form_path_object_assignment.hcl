path = {
  "secret/a" = {
    capabilities = ["read"]
  }
}
