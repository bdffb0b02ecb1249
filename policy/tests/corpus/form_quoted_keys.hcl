"path" "secret/a" {
  "capabilities" = ["read"]
  "policy" = "read"
}
