path "secret/a" {
  capabilities = ["read"]
  control_group = {
    ttl = "4h"
    factor "approvers" {
      controlled_capabilities = ["read"]
      identity {
        group_names = ["approvers"]
        approvals = 2
      }
    }
  }
}
