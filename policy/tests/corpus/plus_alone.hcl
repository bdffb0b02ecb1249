path "+" {
  capabilities = ["read"]
}
path "+/x/*" {
  capabilities = ["list"]
}
