path "secret/a" {
  capabilities = ["read"]
  comment = <<-EOT
    indented
    text
    EOT
}
