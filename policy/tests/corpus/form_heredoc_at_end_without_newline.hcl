path "secret/a" {
  capabilities = ["read"]
}
name = <<EOT
x
EOT