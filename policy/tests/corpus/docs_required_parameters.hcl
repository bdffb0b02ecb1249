# This requires the user to create "secret/profile" with a parameter/key named
# "name" and "id" where kv v1 is enabled at "secret/".

path "secret/profile" {
  capabilities = ["create"]
  required_parameters = ["name", "id"]
}
