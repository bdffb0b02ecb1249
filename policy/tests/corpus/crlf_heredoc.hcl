path "secret/a" {
  capabilities = ["read"]
  comment = <<EOT
text
EOT
}
