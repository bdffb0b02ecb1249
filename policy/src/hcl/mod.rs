//! HCL 1, the configuration language Vault and OpenBao read policies in, and the JSON form
//! they accept instead. Both are read into one small syntax tree whose spans are byte
//! offsets into the text as given.
//!
//! This follows the `hcl1` line of hashicorp/hcl (v1.0.1-vault-7, which OpenBao 2.7 uses)
//! token for token, quirks included, because whether a policy is accepted depends on them:
//! commas between items are optional, a list may open with a comma, a top-level `key =`
//! at the very end of the text is silently dropped, and the JSON reader does not insist on
//! closing braces.

mod json;
mod parser;
pub(crate) mod scanner;
pub(crate) mod unquote;

use std::ops::Range;

/// A key of an object item: an identifier (`path`) or a quoted string (`"secret/*"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Key {
    /// The source text of the key, quotes included.
    pub raw: String,
    pub quoted: bool,
    /// Whether it came from the JSON form, whose strings unquote with Go's rules.
    pub json: bool,
    pub span: Range<usize>,
}

impl Key {
    /// The key's value, as Go's `Token.Value()` gives it; `None` where Go would panic on it.
    pub fn value(&self) -> Option<String> {
        match (self.quoted, self.json) {
            (false, _) => Some(self.raw.clone()),
            (true, false) => unquote::hcl(&self.raw),
            (true, true) => unquote::go(&self.raw),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LiteralKind {
    Number,
    Float,
    Bool,
    String,
    Heredoc,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Literal {
    pub kind: LiteralKind,
    /// The source text, quotes included; empty for JSON's `null` (read as an empty string).
    pub raw: String,
    pub json: bool,
    pub span: Range<usize>,
}

impl Literal {
    /// The value of a string or heredoc literal; `None` where Go would panic on it.
    pub fn string_value(&self) -> Option<String> {
        match self.kind {
            LiteralKind::Heredoc => Some(unquote::heredoc(&self.raw)),
            _ if self.raw.is_empty() => Some(String::new()),
            _ if self.json => unquote::go(&self.raw),
            _ => unquote::hcl(&self.raw),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Node {
    Literal(Literal),
    List {
        items: Vec<Node>,
        span: Range<usize>,
    },
    Object {
        items: Vec<Item>,
        span: Range<usize>,
    },
}

impl Node {
    pub fn span(&self) -> Range<usize> {
        match self {
            Node::Literal(literal) => literal.span.clone(),
            Node::List { span, .. } | Node::Object { span, .. } => span.clone(),
        }
    }
}

/// `key = value`, `key "label" { … }` or, in JSON, `"key": value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Item {
    pub keys: Vec<Key>,
    pub value: Node,
}

/// A parsed document: the items at its top level.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Document {
    pub items: Vec<Item>,
    pub json: bool,
}

/// Why the text is not HCL (or JSON) at all, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub message: String,
    pub offset: usize,
}

/// Whether OpenBao reads `text` as JSON: it does when the text, trimmed of Unicode white
/// space, starts with `{` (sdk/helper/hclutil/hcl.go, `isJson`).
pub(crate) fn is_json(text: &str) -> bool {
    text.trim_start().starts_with('{')
}

/// Parses policy text as OpenBao does: JSON when it starts with `{`, HCL 1 otherwise.
pub(crate) fn parse_document(text: &str) -> Result<Document, SyntaxError> {
    if is_json(text) {
        json::parse(text).map(|items| Document { items, json: true })
    } else {
        parser::parse(text).map(|items| Document { items, json: false })
    }
}

/// Maps offsets in text whose `\r\n` became `\n` back to the original text. HCL 1 makes
/// that replacement before it scans (hcl/parser/parser.go, `parse`), which matters inside
/// heredocs; the JSON reader does not.
pub(crate) struct SourceMap {
    /// Offsets, in the normalised text, of each `\n` that had a `\r` before it.
    removed: Vec<usize>,
}

impl SourceMap {
    pub fn normalise(text: &str) -> (String, SourceMap) {
        let mut normalised = String::with_capacity(text.len());
        let mut removed = Vec::new();
        let mut rest = text;
        while let Some(at) = rest.find("\r\n") {
            normalised.push_str(&rest[..at]);
            removed.push(normalised.len());
            rest = &rest[at + 1..];
        }
        normalised.push_str(rest);
        (normalised, SourceMap { removed })
    }

    /// The original offset of normalised offset `offset`.
    pub fn original(&self, offset: usize) -> usize {
        offset + self.removed.partition_point(|&at| at < offset)
    }

    pub fn span(&self, span: Range<usize>) -> Range<usize> {
        self.original(span.start)..self.original(span.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_offsets_map_back() {
        let (normalised, map) = SourceMap::normalise("a\r\nbc\r\nd");
        assert_eq!(normalised, "a\nbc\nd");
        assert_eq!(map.original(0), 0);
        assert_eq!(map.original(2), 3, "b");
        assert_eq!(map.original(5), 7, "d");
    }

    #[test]
    fn json_is_told_by_its_first_character() {
        assert!(is_json("  \n{\"path\": {}}"));
        assert!(
            is_json("\u{a0}{"),
            "Go's TrimSpace trims no-break spaces too"
        );
        assert!(
            !is_json("\u{feff}{"),
            "a byte order mark is not white space"
        );
        assert!(!is_json("path \"a\" {}"));
    }
}
