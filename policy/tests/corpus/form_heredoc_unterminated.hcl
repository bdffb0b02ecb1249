path "secret/a" {
  capabilities = ["read"]
  comment = <<EOT
no end
