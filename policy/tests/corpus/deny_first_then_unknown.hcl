path "secret/a" {
  capabilities = ["deny", "bogus"]
}
