path "secret/a" {
  capabilities = [<<EOT
read
EOT
  ]
}
