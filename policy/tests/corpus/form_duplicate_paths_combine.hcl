path "secret/a" {
  capabilities = ["read"]
}

path "secret/a" {
  capabilities = ["update", "list"]
}

path "secret/b" {
  capabilities = ["read", "update"]
}

path "secret/b" {
  capabilities = ["deny"]
}
