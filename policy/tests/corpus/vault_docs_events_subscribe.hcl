path "sys/events/subscribe/kv*" {
  capabilities = ["read"]
}

path "secret/*" {
  capabilities = ["read", "list", "subscribe"]
  subscribe_event_types = ["kv*"]
}
