name = "app"

path "secret/a" {
  capabilities = ["read"]
}
