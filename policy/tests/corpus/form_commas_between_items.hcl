path "secret/a" { capabilities = ["read"], policy = "read", }, path "secret/b" {
  capabilities = ["update"],
  comment = "commas are optional separators",
},
