path "kv/webapps/app_one" {
  capabilities = ["read"]
}
