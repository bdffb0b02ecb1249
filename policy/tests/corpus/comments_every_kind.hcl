# hash comment
// slash comment
/* block
   comment */
path "secret/a" { # after the brace
  capabilities = [ // inside the list
    "read", /* between */ "list" # after an element
  ]
  /* before the brace */ }
# at the very end, no newline