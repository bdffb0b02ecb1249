path "secret/a" {
  capabilities = ["read"]
  control_group = {
    factor "approvers" {
      controlled_capabilities = ["write"]
    }
  }
}
