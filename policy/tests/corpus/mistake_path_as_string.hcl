path = "secret/a"
