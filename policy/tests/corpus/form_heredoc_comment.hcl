path "secret/a" {
  capabilities = ["read"]
  comment = <<EOT
Reads app a.
Ask the platform team first.
EOT
}
