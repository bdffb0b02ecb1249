path "secret/a" {
  capabilities = ["read"]
  subscribe_event_types = ["kv*"]
}
