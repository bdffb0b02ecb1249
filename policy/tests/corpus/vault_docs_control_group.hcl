path "secret/foo" {
  capabilities = ["read"]
  control_group = {
    factor "ops_manager" {
      identity {
          group_names = ["managers"]
          approvals = 1
      }
    }
  }
}
