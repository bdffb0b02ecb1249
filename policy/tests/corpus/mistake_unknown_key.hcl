path "secret/a" {
  capabilites = ["read"]
}
