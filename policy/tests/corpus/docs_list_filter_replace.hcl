path "test/metadata/*" {
    capabilities = ["list", "scan"]
    list_scan_response_keys_filter_path = "{{ .path | replace \"test/metadata/\" \"test/data/\" }}{{ .key }}"
}
