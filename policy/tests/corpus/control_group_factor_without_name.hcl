path "secret/a" {
  capabilities = ["read"]
  control_group = {
    factor {
      identity { approvals = 1 }
    }
  }
}
