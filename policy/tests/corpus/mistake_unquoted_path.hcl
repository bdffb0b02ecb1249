path secret/* {
  capabilities = ["read"]
}
