path "secret/a" {}
