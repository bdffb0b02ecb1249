//! Kubernetes object names as the API server accepts them, checked before they become part
//! of a URL: kube-rs puts a namespace or a name into the request path as given, so
//! `default%2F..%2Fsecrets` would reach another API path with the BFF's credentials.

use crate::error::ApiError;

/// A namespace name: a DNS-1123 label (`[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63).
pub fn namespace(text: &str) -> Result<&str, ApiError> {
    if is_dns_label(text) {
        Ok(text)
    } else {
        Err(ApiError::BadRequest(format!(
            "{:?} is not a valid namespace name (lowercase letters, digits and '-', at most 63)",
            shortened(text)
        )))
    }
}

/// An object name such as a service account's: a DNS-1123 subdomain (labels joined by
/// dots, at most 253).
pub fn object_name(text: &str) -> Result<&str, ApiError> {
    let valid = !text.is_empty() && text.len() <= 253 && text.split('.').all(is_dns_label);
    if valid {
        Ok(text)
    } else {
        Err(ApiError::BadRequest(format!(
            "{:?} is not a valid Kubernetes name (lowercase letters, digits, '-' and '.', at most 253)",
            shortened(text)
        )))
    }
}

fn is_dns_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// Error messages quote at most this much of what was sent.
fn shortened(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_could_change_the_api_path_are_refused() {
        for hostile in [
            "a/b",
            "default/../kube-system",
            "..",
            ".",
            "",
            "A",
            "-a",
            "a_b",
            "a b",
        ] {
            assert!(namespace(hostile).is_err(), "{hostile:?}");
            assert!(object_name(hostile).is_err(), "{hostile:?}");
        }
        assert!(namespace(&"a".repeat(64)).is_err());
        assert_eq!(namespace("kube-system").unwrap(), "kube-system");
        assert_eq!(object_name("vault-auth.v1").unwrap(), "vault-auth.v1");
        assert!(object_name("a..b").is_err());
    }
}
