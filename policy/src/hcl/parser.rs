//! The HCL 1 parser (hcl/parser/parser.go): a document is a list of items, each one or
//! more keys followed by `= value` or by `{ … }`. It is lenient where Go's is:
//!
//! - items may be separated by commas, newlines or nothing at all (`a = 1 b = 2`);
//! - a list may open with, repeat, or end with a comma (`[, "a",, "b",]`);
//! - a block may carry any number of labels (`path "a" "b" { … }`), an assignment only one
//!   key (`a "b" = 1` is an error);
//! - a top-level item whose value is cut off by the end of the text (`name =`) is dropped,
//!   not refused.

use super::scanner::{Dialect, Scanner, Tok, Token};
use super::{Item, Key, Literal, LiteralKind, Node, SourceMap, SyntaxError};
use crate::parse::Position;

/// Why parsing stopped: the end of the text where a key was due (which Go's parser treats
/// as "done" in some places), or an error.
pub(super) enum Fail {
    Eof,
    Syntax(SyntaxError),
}

type Parsed<T> = Result<T, Fail>;

pub(super) fn parse(text: &str) -> Result<Vec<Item>, SyntaxError> {
    let (normalised, map) = SourceMap::normalise(text);
    let mut parser = Parser {
        scanner: Scanner::new(&normalised, Dialect::Hcl),
        src: &normalised,
        map: &map,
        tok: Token {
            kind: Tok::Eof,
            start: 0,
            end: 0,
        },
        buffered: false,
    };
    let result = parser.object_list(false);
    // A scanner error wins over the parser's, as in Go: it is the cause.
    if let Some(error) = parser.scanner.error.take() {
        return Err(SyntaxError {
            message: error.message,
            offset: map.original(error.offset),
        });
    }
    match result {
        Ok(items) => Ok(items),
        Err(Fail::Syntax(error)) => Err(error),
        Err(Fail::Eof) => Ok(Vec::new()),
    }
}

struct Parser<'a> {
    scanner: Scanner<'a>,
    src: &'a str,
    map: &'a SourceMap,
    tok: Token,
    /// Whether `tok` was pushed back and is the next token again.
    buffered: bool,
}

impl<'a> Parser<'a> {
    /// The next token other than a comment.
    fn scan(&mut self) -> Token {
        if self.buffered {
            self.buffered = false;
            return self.tok;
        }
        loop {
            let token = self.scanner.scan();
            if token.kind != Tok::Comment {
                self.tok = token;
                return token;
            }
        }
    }

    fn unscan(&mut self) {
        self.buffered = true;
    }

    fn text(&self, token: Token) -> &'a str {
        &self.src[token.start..token.end]
    }

    fn error<T>(&self, at: Token, message: String) -> Parsed<T> {
        Err(Fail::Syntax(SyntaxError {
            message,
            offset: self.map.original(at.start),
        }))
    }

    /// Items up to the end of the text or, inside braces (`in_object`), up to a `}`.
    fn object_list(&mut self, in_object: bool) -> Parsed<Vec<Item>> {
        let mut items = Vec::new();
        loop {
            if in_object {
                let next = self.scan();
                self.unscan();
                if next.kind == Tok::RBrace {
                    break;
                }
            }
            match self.object_item() {
                Err(Fail::Eof) => break,
                Err(error) => return Err(error),
                Ok(item) => items.push(item),
            }
            // A comma may follow an item (hcl/parser/parser.go, objectList).
            if self.scan().kind != Tok::Comma {
                self.unscan();
            }
        }
        Ok(items)
    }

    fn object_item(&mut self) -> Parsed<Item> {
        let (keys, failure) = self.object_key();
        let failure = match failure {
            // Keys then the end of the text, or keys then `}`: reported below as a missing
            // `=` or `{`.
            Some(Fail::Eof) if !keys.is_empty() => None,
            Some(_) if !keys.is_empty() && self.tok.kind == Tok::RBrace => None,
            other => other,
        };
        if let Some(failure) = failure {
            return Err(failure);
        }
        let value = match self.tok.kind {
            Tok::Assign => self.value()?,
            Tok::LBrace => self.object_type()?,
            _ => {
                let names: Vec<String> = keys.iter().map(|k| k.raw.clone()).collect();
                let found = describe(self.tok, self.text(self.tok));
                return self.error(
                    self.tok,
                    format!(
                        "expected '=' or '{{' after {}, found {found}",
                        names.join(" ")
                    ),
                );
            }
        };
        Ok(Item { keys, value })
    }

    /// Keys up to `=` or `{`. Returns what was read even on failure, as Go does, since the
    /// caller decides by it.
    fn object_key(&mut self) -> (Vec<Key>, Option<Fail>) {
        let mut keys: Vec<Key> = Vec::new();
        loop {
            let token = self.scan();
            let message = match token.kind {
                Tok::Eof => return (keys, Some(Fail::Eof)),
                Tok::Ident | Tok::Str => {
                    keys.push(self.key(token));
                    continue;
                }
                Tok::Assign if keys.len() > 1 => {
                    let message = format!(
                        "expected '{{' after {}: only a block can have labels, an assignment takes one key",
                        keys.iter().map(|k| k.raw.as_str()).collect::<Vec<_>>().join(" ")
                    );
                    return (Vec::new(), self.error::<()>(token, message).err());
                }
                Tok::Assign if keys.is_empty() => "expected a key before '='".to_string(),
                Tok::Assign => return (keys, None),
                Tok::LBrace if keys.is_empty() => "expected a key before '{'".to_string(),
                Tok::LBrace => return (keys, None),
                _ => format!(
                    "expected a key, '=' or '{{', found {}",
                    describe(token, self.text(token))
                ),
            };
            return (keys, self.error::<()>(token, message).err());
        }
    }

    fn key(&self, token: Token) -> Key {
        Key {
            raw: self.text(token).to_string(),
            quoted: token.kind == Tok::Str,
            json: false,
            span: self.map.span(token.start..token.end),
        }
    }

    fn literal(&self, token: Token) -> Node {
        let kind = match token.kind {
            Tok::Number => LiteralKind::Number,
            Tok::Float => LiteralKind::Float,
            Tok::Bool => LiteralKind::Bool,
            Tok::Heredoc => LiteralKind::Heredoc,
            _ => LiteralKind::String,
        };
        Node::Literal(Literal {
            kind,
            raw: self.text(token).to_string(),
            json: false,
            span: self.map.span(token.start..token.end),
        })
    }

    /// The value after `=`.
    fn value(&mut self) -> Parsed<Node> {
        let token = self.scan();
        match token.kind {
            Tok::Number | Tok::Float | Tok::Bool | Tok::Str | Tok::Heredoc => {
                Ok(self.literal(token))
            }
            Tok::LBrace => self.object_type(),
            Tok::LBrack => self.list_type(),
            Tok::Eof => Err(Fail::Eof),
            _ => self.error(
                token,
                format!(
                    "expected a value (a string, number, list or {{ … }}), found {}",
                    describe(token, self.text(token))
                ),
            ),
        }
    }

    /// `{ items }`, the `{` just read.
    fn object_type(&mut self) -> Parsed<Node> {
        let open = self.tok;
        let items = self.object_list(true)?;
        let close = self.scan();
        if close.kind != Tok::RBrace {
            let line = Position::of_offset(self.src, open.start).line;
            return self.error(
                close,
                format!(
                    "expected '}}' to close the '{{' of line {line}, found {}",
                    describe(close, self.text(close))
                ),
            );
        }
        Ok(Node::Object {
            items,
            span: self.map.span(open.start..close.end),
        })
    }

    /// `[ elements ]`, the `[` just read.
    fn list_type(&mut self) -> Parsed<Node> {
        let open = self.tok;
        let mut items = Vec::new();
        let mut need_comma = false;
        loop {
            let token = self.scan();
            if need_comma && !matches!(token.kind, Tok::Comma | Tok::RBrack) {
                return self.error(
                    token,
                    format!(
                        "expected ',' or ']' after a list element, found {}",
                        describe(token, self.text(token))
                    ),
                );
            }
            match token.kind {
                Tok::Bool | Tok::Number | Tok::Float | Tok::Str | Tok::Heredoc => {
                    items.push(self.literal(token));
                    need_comma = true;
                }
                Tok::Comma => need_comma = false,
                Tok::LBrace => {
                    items.push(self.object_type()?);
                    need_comma = true;
                }
                // Go's parser does not ask for a comma after a nested list.
                Tok::LBrack => items.push(self.list_type()?),
                Tok::RBrack => {
                    return Ok(Node::List {
                        items,
                        span: self.map.span(open.start..token.end),
                    })
                }
                _ => {
                    let line = Position::of_offset(self.src, open.start).line;
                    return self.error(
                        token,
                        format!(
                            "expected a list element or ']' to close the '[' of line {line}, found {}",
                            describe(token, self.text(token))
                        ),
                    );
                }
            }
        }
    }
}

/// A token as an error message names it.
pub(super) fn describe(token: Token, text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    let short = if short.len() < text.len() {
        format!("{short}…")
    } else {
        short
    };
    match token.kind {
        Tok::Eof => "the end of the text".to_string(),
        Tok::Str => format!("the string {short}"),
        Tok::Heredoc => "a heredoc".to_string(),
        Tok::Number | Tok::Float => format!("the number {short}"),
        Tok::Ident | Tok::Bool | Tok::Null => format!("the word {short}"),
        Tok::Illegal => format!("the character {short:?}"),
        _ => format!("'{short}'"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(item: &Item) -> Vec<&str> {
        item.keys.iter().map(|k| k.raw.as_str()).collect()
    }

    #[test]
    fn blocks_assignments_and_separators() {
        let items =
            parse("path \"a\" { capabilities = [\"read\"], policy = \"read\" } name = \"x\"")
                .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(keys(&items[0]), vec!["path", "\"a\""]);
        let Node::Object { items: body, .. } = &items[0].value else {
            panic!("a block")
        };
        assert_eq!(body.len(), 2);
        assert_eq!(keys(&items[1]), vec!["name"]);
    }

    #[test]
    fn lists_take_stray_commas() {
        let items = parse("a = [, \"x\",, \"y\",]").unwrap();
        let Node::List {
            items: elements, ..
        } = &items[0].value
        else {
            panic!("a list")
        };
        assert_eq!(elements.len(), 2);
    }

    #[test]
    fn a_value_cut_off_at_the_end_is_dropped_at_the_top_only() {
        assert_eq!(parse("a = 1\nb =").unwrap().len(), 1);
        assert!(parse("a { b = ").is_err());
    }

    #[test]
    fn errors_say_what_was_expected_and_found() {
        let error = parse("path \"a\" {\n  capabilities = [\"read\"]\n").unwrap_err();
        assert!(
            error
                .message
                .contains("expected '}' to close the '{' of line 1"),
            "{}",
            error.message
        );
        assert!(error.message.contains("the end of the text"));
        let error = parse("path \"a\" {\n  capabilities [\"read\"]\n}").unwrap_err();
        assert_eq!(error.message, "expected a key, '=' or '{', found '['");
        assert_eq!(error.offset, 26);
        let error = parse("a \"b\" = 1").unwrap_err();
        assert!(error.message.contains("only a block can have labels"));
    }

    #[test]
    fn scanner_errors_win() {
        let error = parse("path \"a\" { capabilities = [\"read] }").unwrap_err();
        assert!(
            error.message.contains("string not terminated"),
            "{}",
            error.message
        );
        assert_eq!(error.offset, 27);
    }

    #[test]
    fn spans_are_in_the_original_text() {
        let text = "# c\r\npath \"a\" {\r\n}\r\n";
        let items = parse(text).unwrap();
        let span = items[0].keys[1].span.clone();
        assert_eq!(&text[span], "\"a\"");
        assert_eq!(&text[items[0].value.span()], "{\r\n}");
    }
}
