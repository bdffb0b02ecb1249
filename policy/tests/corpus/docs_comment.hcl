path "pki/*" {
  capabilities = ["deny"]
  comment = "explicitly deny access to PKI path based on discussion in TRACKER-12345."
}
