name = 42
path "secret/a" { capabilities = ["read"] }
