path secret {
  capabilities = ["read"]
}
path kv.app-one { capabilities = ["list"] }
