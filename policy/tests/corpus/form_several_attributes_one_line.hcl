path "secret/a" { capabilities = ["read"] min_wrapping_ttl = "1s" max_wrapping_ttl = "90s" comment = "x" }
