path "secret/*" {
  capabilities = ["read"]
}
path "secret/+/config" {
  capabilities = ["update"]
}
path "secret/team/*" {
  capabilities = ["list"]
}
path "secret/fo*" {
  capabilities = ["create"]
}
