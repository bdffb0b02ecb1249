path "secret/a" {
  capabilities = ["read"]
  control_group = {
    approvals = 1
  }
}
