path "secret/*" {
  capabilities = ["list"]
  list_scan_response_keys_filter_path = "{{ .path }}"
}
