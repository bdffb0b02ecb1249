path = {
  capabilities = ["read", "list"]
}
