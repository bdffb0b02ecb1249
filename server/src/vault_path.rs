//! A path below Vault's `/v1/`, checked before anything is sent: the one place where text
//! from the browser becomes part of a URL that carries the session's token.
//!
//! The browser sends paths percent-encoded, and URL parsers (the `url` crate included, as
//! WHATWG says) treat `%2e%2e`, `.%2E` and `..` alike, and `\` as `/`; a path that climbed
//! out of `/v1` would take the token to whatever else the Vault host serves. So each segment
//! is decoded, refused if it is a dot segment or hides a separator, and encoded again the
//! one way Vault reads it.

use crate::error::ApiError;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, CONTROLS};

/// What is escaped in a path segment: everything a URL parser or Vault could read as
/// syntax (`/`, `\`, `?`, `#`, `%`), and what may not appear raw in a URL.
const SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b'<')
    .add(b'>')
    .add(b'?')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}');

/// A checked path below `/v1/`, kept in its decoded segments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultPath {
    segments: Vec<String>,
    /// `kv/metadata/folder/`: Vault LISTs folders by their trailing slash.
    trailing_slash: bool,
}

impl VaultPath {
    /// Reads a percent-encoded path (no leading slash needed).
    pub fn parse(encoded: &str) -> Result<VaultPath, ApiError> {
        let encoded = encoded.trim_start_matches('/');
        if encoded.is_empty() {
            return Err(refused("a Vault API path is required"));
        }
        let trailing_slash = encoded.ends_with('/');
        let raw_segments = encoded.strip_suffix('/').unwrap_or(encoded).split('/');
        let mut segments = Vec::new();
        for raw in raw_segments {
            segments.push(decode_segment(raw)?);
        }
        Ok(VaultPath {
            segments,
            trailing_slash,
        })
    }

    /// The path as Vault reads it, decoded: `kv/data/a b`. For deciding what a path is.
    pub fn decoded(&self) -> String {
        let mut text = self.segments.join("/");
        if self.trailing_slash {
            text.push('/');
        }
        text
    }

    /// The path for a URL, every segment encoded the same way.
    pub fn encoded(&self) -> String {
        let mut text = self
            .segments
            .iter()
            .map(|s| encode_segment(s))
            .collect::<Vec<_>>()
            .join("/");
        if self.trailing_slash {
            text.push('/');
        }
        text
    }

    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

/// One path segment (a user name, a key) percent-encoded for a URL.
pub fn encode_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

fn decode_segment(raw: &str) -> Result<String, ApiError> {
    if raw.is_empty() {
        return Err(refused("empty segment (`//`) in the Vault path"));
    }
    let decoded = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| refused("the Vault path is not UTF-8"))?;
    if decoded == "." || decoded == ".." {
        return Err(refused(
            "dot segments (`.`, `..`) are not allowed in a Vault path",
        ));
    }
    if decoded.contains(['/', '\\']) {
        return Err(refused(
            "an encoded `/` or a `\\` is not allowed in a Vault path segment",
        ));
    }
    if decoded.chars().any(char::is_control) {
        return Err(refused(
            "control characters are not allowed in a Vault path",
        ));
    }
    Ok(decoded.into_owned())
}

fn refused(reason: &str) -> ApiError {
    ApiError::BadRequest(format!("refused: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_of_a_dot_segment_is_refused() {
        for hostile in [
            "..",
            "../sys",
            "kv/../../robots.txt",
            "%2e%2e/%2e%2e/robots.txt",
            "%2E%2E/x",
            ".%2e/x",
            "%2e./x",
            "kv/./x",
            "kv/%2e/x",
            "..\\x",
            "kv/..%5cx",
            "kv/a%2Fb",
            "kv/a%5Cb",
            "kv//x",
            "kv/%00",
        ] {
            assert!(VaultPath::parse(hostile).is_err(), "{hostile} accepted");
        }
    }

    #[test]
    fn ordinary_paths_keep_their_meaning() {
        let path = VaultPath::parse("kv/data/a%20b/c%3Fd").unwrap();
        assert_eq!(path.decoded(), "kv/data/a b/c?d");
        assert_eq!(path.encoded(), "kv/data/a%20b/c%3Fd");
        let folder = VaultPath::parse("kv/metadata/team/").unwrap();
        assert_eq!(folder.encoded(), "kv/metadata/team/");
        assert_eq!(folder.segments()[..2], ["kv", "metadata"]);
        // Dots inside a name are fine; only whole dot segments climb.
        assert_eq!(
            VaultPath::parse("kv/data/.env").unwrap().decoded(),
            "kv/data/.env"
        );
        assert_eq!(
            VaultPath::parse("kv/data/a..b").unwrap().decoded(),
            "kv/data/a..b"
        );
        assert_eq!(
            VaultPath::parse("kv/data/caf%C3%A9").unwrap().encoded(),
            "kv/data/caf%C3%A9"
        );
    }
}
