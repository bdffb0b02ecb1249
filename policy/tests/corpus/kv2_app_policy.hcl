# Read and write one app's secrets in a KV v2 mount at kv/
path "kv/data/webapps/app_one" {
  capabilities = ["create", "read", "update", "patch", "delete"]
}
path "kv/metadata/webapps/app_one" {
  capabilities = ["read", "list", "delete"]
}
path "kv/metadata/webapps" {
  capabilities = ["list"]
}
path "kv/delete/webapps/app_one" {
  capabilities = ["update"]
}
path "kv/undelete/webapps/app_one" {
  capabilities = ["update"]
}
path "kv/destroy/webapps/app_one" {
  capabilities = ["update"]
}
