//! A small HCL tokenizer for the policy editor's syntax highlighting. It never fails: text
//! it does not understand is plain.

use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Comment,
    String,
    Number,
    /// `path`, `capabilities` and the other keys Vault knows.
    Keyword,
    Identifier,
    Punctuation,
    Plain,
}

impl TokenKind {
    pub fn class(self) -> &'static str {
        match self {
            TokenKind::Comment => "hl-comment",
            TokenKind::String => "hl-string",
            TokenKind::Number => "hl-number",
            TokenKind::Keyword => "hl-keyword",
            TokenKind::Identifier => "hl-ident",
            TokenKind::Punctuation => "hl-punct",
            TokenKind::Plain => "",
        }
    }
}

const KEYWORDS: &[&str] = &["path", "name", "capabilities", "policy"];

/// The tokens of `text`, covering it completely and in order.
pub fn tokens(text: &str) -> Vec<(TokenKind, Range<usize>)> {
    let bytes = text.as_bytes();
    let mut out: Vec<(TokenKind, Range<usize>)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let kind = match bytes[i] {
            b'#' => {
                i = line_end(bytes, i);
                TokenKind::Comment
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = line_end(bytes, i);
                TokenKind::Comment
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |end| i + 2 + end + 2);
                TokenKind::Comment
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                TokenKind::String
            }
            b'0'..=b'9' => {
                while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                    i += 1;
                }
                TokenKind::Number
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                while i < bytes.len()
                    && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
                {
                    i += 1;
                }
                if KEYWORDS.contains(&&text[start..i])
                    || crate::parse::PATH_BLOCK_KEYS.contains(&&text[start..i])
                {
                    TokenKind::Keyword
                } else {
                    TokenKind::Identifier
                }
            }
            b'{' | b'}' | b'[' | b']' | b'=' | b',' | b'(' | b')' => {
                i += 1;
                TokenKind::Punctuation
            }
            _ => {
                // Whitespace and anything else, up to the next interesting byte (whole
                // UTF-8 characters only).
                i += 1;
                while i < bytes.len() && !text.is_char_boundary(i) {
                    i += 1;
                }
                TokenKind::Plain
            }
        };
        match out.last_mut() {
            Some((TokenKind::Plain, range)) if kind == TokenKind::Plain => range.end = i,
            _ => out.push((kind, start..i)),
        }
    }
    out
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |n| from + n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn covers_the_text_and_classifies() {
        let text = "# read app one\npath \"kv/data/a\" {\n  capabilities = [\"read\"] // ok\n}\n";
        let tokens = tokens(text);
        let rebuilt: String = tokens.iter().map(|(_, r)| &text[r.clone()]).collect();
        assert_eq!(rebuilt, text);
        let kinds: Vec<_> = tokens
            .iter()
            .filter(|(k, _)| *k != TokenKind::Plain)
            .map(|(k, r)| (*k, &text[r.clone()]))
            .collect();
        assert_eq!(kinds[0], (TokenKind::Comment, "# read app one"));
        assert_eq!(kinds[1], (TokenKind::Keyword, "path"));
        assert_eq!(kinds[2], (TokenKind::String, "\"kv/data/a\""));
        assert!(kinds.contains(&(TokenKind::Comment, "// ok")));
    }

    #[test]
    fn unfinished_text_and_unicode_do_not_break_it() {
        for text in ["path \"unfinished", "/* open", "päth ü \"é\"", "\""] {
            let rebuilt: String = tokens(text).iter().map(|(_, r)| &text[r.clone()]).collect();
            assert_eq!(rebuilt, text);
        }
    }
}
