//! The path prefix the browser sees in front of our base path, from proxy headers.

use axum::http::HeaderMap;

/// The prefix a proxy put before our base path, from `X-Forwarded-Prefix`, when it is a
/// plain path; `""` otherwise.
pub fn forwarded_prefix(headers: &HeaderMap) -> &str {
    headers
        .get("x-forwarded-prefix")
        .and_then(|v| v.to_str().ok())
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| is_plain_path(p))
        .unwrap_or("")
}

/// A path we are willing to write into `<base href>` or a cookie: absolute, no scheme or
/// host, no characters that could break out of an attribute or change its meaning.
pub fn is_plain_path(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.split('/').any(|s| s == "..")
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/-_.~:%@".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers_with_prefix(prefix: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-prefix", prefix.parse().unwrap());
        headers
    }

    #[test]
    fn a_plain_forwarded_prefix_is_honoured() {
        assert_eq!(forwarded_prefix(&HeaderMap::new()), "");
        assert_eq!(
            forwarded_prefix(&headers_with_prefix(
                "/api/v1/namespaces/vault/services/vaultdeck:http/proxy/"
            )),
            "/api/v1/namespaces/vault/services/vaultdeck:http/proxy"
        );
    }

    #[test]
    fn hostile_forwarded_prefixes_are_ignored() {
        for hostile in [
            "//evil.example",
            "https://evil.example",
            "/a\"><script>",
            "/a/../b",
            "relative",
        ] {
            assert_eq!(
                forwarded_prefix(&headers_with_prefix(hostile)),
                "",
                "{hostile}"
            );
        }
    }
}
