path "secret/a" {
  capabilities = ["read"]
  control_group = {
    factor "f" {
      controlled_capabilities = ["read"]
      identity {
        group_names = ["approvers"]
      }
    }
  }
}
