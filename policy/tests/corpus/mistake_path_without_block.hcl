path "secret/a"
