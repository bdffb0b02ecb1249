//! HCL 1's JSON reader (json/parser/parser.go and flatten.go). It is far looser than JSON:
//! after a value it stops at anything but a comma without checking for `}`, so missing
//! closing braces and text after the object go unnoticed; an error met on a `}` is
//! forgiven (a trailing comma); keys may be repeated before the colon; in lists, commas
//! are optional and `true`, `false` and `[` are skipped.
//!
//! It then "flattens" objects whose values are all objects into multi-key items, which is
//! how `{"path": {"secret/*": {…}}}` becomes the item `path "secret/*" {…}`.

use super::parser::{describe, Fail};
use super::scanner::{Dialect, Scanner, Tok, Token};
use super::{Item, Key, Literal, LiteralKind, Node, SyntaxError};

type Parsed<T> = Result<T, Fail>;

pub(super) fn parse(text: &str) -> Result<Vec<Item>, SyntaxError> {
    let mut parser = JsonParser {
        scanner: Scanner::new(text, Dialect::Json),
        src: text,
        tok: Token {
            kind: Tok::Eof,
            start: 0,
            end: 0,
        },
    };
    let result = parser.object();
    if let Some(error) = parser.scanner.error.take() {
        return Err(SyntaxError {
            message: error.message,
            offset: error.offset,
        });
    }
    match result {
        Ok(Node::Object { mut items, .. }) => {
            flatten(&mut items);
            Ok(items)
        }
        Ok(_) | Err(Fail::Eof) => Err(SyntaxError {
            message: "expected a JSON object".to_string(),
            offset: text.len(),
        }),
        Err(Fail::Syntax(error)) => Err(error),
    }
}

struct JsonParser<'a> {
    scanner: Scanner<'a>,
    src: &'a str,
    tok: Token,
}

impl<'a> JsonParser<'a> {
    fn scan(&mut self) -> Token {
        self.tok = self.scanner.scan();
        self.tok
    }

    fn text(&self, token: Token) -> &'a str {
        &self.src[token.start..token.end]
    }

    fn error<T>(&self, at: Token, message: String) -> Parsed<T> {
        Err(Fail::Syntax(SyntaxError {
            message,
            offset: at.start,
        }))
    }

    /// The document: an object.
    fn object(&mut self) -> Parsed<Node> {
        let token = self.scan();
        match token.kind {
            Tok::LBrace => self.object_type(),
            Tok::Eof => Err(Fail::Eof),
            _ => self.error(
                token,
                format!(
                    "expected '{{' to open the JSON object, found {}",
                    describe(token, self.text(token))
                ),
            ),
        }
    }

    /// The members of an object, the `{` just read.
    fn object_type(&mut self) -> Parsed<Node> {
        let open = self.tok;
        let (items, failure) = self.object_list();
        // An error met on a `}` is forgiven: the object ends there (json/parser/parser.go,
        // objectType). That is what lets `{"a": 1,}` through.
        if let Some(failure) = failure {
            if self.tok.kind != Tok::RBrace {
                return Err(failure);
            }
        }
        Ok(Node::Object {
            items,
            span: open.start..self.tok.end,
        })
    }

    fn object_list(&mut self) -> (Vec<Item>, Option<Fail>) {
        let mut items = Vec::new();
        loop {
            match self.object_item() {
                Err(Fail::Eof) => break,
                Err(failure) => return (items, Some(failure)),
                Ok(item) => items.push(item),
            }
            if self.scan().kind != Tok::Comma {
                break;
            }
        }
        (items, None)
    }

    fn object_item(&mut self) -> Parsed<Item> {
        let keys = self.object_key()?;
        let value = self.value()?;
        Ok(Item { keys, value })
    }

    fn object_key(&mut self) -> Parsed<Vec<Key>> {
        let mut keys = Vec::new();
        loop {
            let token = self.scan();
            match token.kind {
                Tok::Eof => return Err(Fail::Eof),
                Tok::Str => keys.push(Key {
                    raw: self.text(token).to_string(),
                    quoted: true,
                    json: true,
                    span: token.start..token.end,
                }),
                Tok::Colon if keys.is_empty() => {
                    return self.error(token, "expected a quoted key before ':'".to_string())
                }
                Tok::Colon => return Ok(keys),
                _ => {
                    return self.error(
                        token,
                        format!(
                            "expected a quoted key, found {}",
                            describe(token, self.text(token))
                        ),
                    )
                }
            }
        }
    }

    fn literal(&self, token: Token) -> Node {
        let (kind, raw) = match token.kind {
            Tok::Number => (LiteralKind::Number, self.text(token)),
            Tok::Float => (LiteralKind::Float, self.text(token)),
            Tok::Bool => (LiteralKind::Bool, self.text(token)),
            // `null` reads as an empty string (json/token/token.go, HCLToken).
            Tok::Null => (LiteralKind::String, ""),
            _ => (LiteralKind::String, self.text(token)),
        };
        Node::Literal(Literal {
            kind,
            raw: raw.to_string(),
            json: true,
            span: token.start..token.end,
        })
    }

    fn value(&mut self) -> Parsed<Node> {
        let token = self.scan();
        match token.kind {
            Tok::Number | Tok::Float | Tok::Bool | Tok::Null | Tok::Str => Ok(self.literal(token)),
            Tok::LBrace => self.object_type(),
            Tok::LBrack => self.list_type(),
            Tok::Eof => Err(Fail::Eof),
            _ => self.error(
                token,
                format!(
                    "expected a value after ':', found {}",
                    describe(token, self.text(token))
                ),
            ),
        }
    }

    fn list_type(&mut self) -> Parsed<Node> {
        let open = self.tok;
        let mut items = Vec::new();
        loop {
            let token = self.scan();
            match token.kind {
                Tok::Number | Tok::Float | Tok::Str => items.push(self.literal(token)),
                Tok::LBrace => items.push(self.object_type()?),
                // Skipped by HCL 1's JSON reader, as are commas.
                Tok::Comma | Tok::Bool | Tok::LBrack => {}
                Tok::RBrack => {
                    return Ok(Node::List {
                        items,
                        span: open.start..token.end,
                    })
                }
                _ => {
                    return self.error(
                        token,
                        format!(
                            "expected a list element or ']', found {}",
                            describe(token, self.text(token))
                        ),
                    )
                }
            }
        }
    }
}

/// Rewrites, at every level, an item whose value is a non-empty object of objects into one
/// item per member with the keys joined (`"a": {"b": {…}}` → `"a" "b" {…}`), and an item
/// whose value is a non-empty list of objects into one item per element — repeatedly, as
/// json/parser/flatten.go does with its frontier.
fn flatten(items: &mut Vec<Item>) {
    let mut frontier: Vec<Item> = std::mem::take(items);
    let mut done = Vec::with_capacity(frontier.len());
    while let Some(item) = frontier.pop() {
        match expand(item) {
            Ok(parts) => frontier.extend(parts),
            Err(item) => done.push(item),
        }
    }
    done.reverse();
    for item in &mut done {
        flatten_within(&mut item.value);
    }
    *items = done;
}

/// The items `item` flattens into, or the item itself when it does not.
fn expand(item: Item) -> Result<Vec<Item>, Item> {
    match &item.value {
        Node::Object { items, .. }
            if !items.is_empty()
                && items.iter().all(|i| matches!(i.value, Node::Object { .. })) =>
        {
            let Node::Object { items: members, .. } = item.value else {
                unreachable!()
            };
            Ok(members
                .into_iter()
                .map(|member| Item {
                    keys: item.keys.iter().cloned().chain(member.keys).collect(),
                    value: member.value,
                })
                .collect())
        }
        Node::List { items, .. }
            if !items.is_empty() && items.iter().all(|n| matches!(n, Node::Object { .. })) =>
        {
            let Node::List {
                items: elements, ..
            } = item.value
            else {
                unreachable!()
            };
            Ok(elements
                .into_iter()
                .map(|element| Item {
                    keys: item.keys.clone(),
                    value: element,
                })
                .collect())
        }
        _ => Err(item),
    }
}

fn flatten_within(node: &mut Node) {
    match node {
        Node::Object { items, .. } => flatten(items),
        Node::List { items, .. } => items.iter_mut().for_each(flatten_within),
        Node::Literal(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(item: &Item) -> Vec<&str> {
        item.keys.iter().map(|k| k.raw.as_str()).collect()
    }

    #[test]
    fn paths_flatten_into_labelled_items() {
        let items =
            parse(r#"{"path": {"a/*": {"capabilities": ["read"]}, "b": {"capabilities": []}}}"#)
                .unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(keys(&items[0]), vec!["\"path\"", "\"a/*\""]);
        assert_eq!(keys(&items[1]), vec!["\"path\"", "\"b\""]);
    }

    #[test]
    fn a_list_of_path_objects_flattens_too() {
        let items =
            parse(r#"{"path": [{"a": {"capabilities": ["read"]}}, {"b": {"policy": "read"}}]}"#)
                .unwrap();
        assert_eq!(keys(&items[0]), vec!["\"path\"", "\"a\""]);
        assert_eq!(keys(&items[1]), vec!["\"path\"", "\"b\""]);
    }

    #[test]
    fn looseness_of_hcl_1s_json_reader() {
        assert!(parse(r#"{"path": {"a": {"capabilities": ["read"]}"#).is_ok());
        assert!(parse(r#"{"path": {"a": {"capabilities": ["read"],}}}"#).is_ok());
        assert!(parse(r#"{"name": "x"} trailing"#).is_ok());
        assert!(parse(r#"{"path": {"a": {"capabilities": ["read""#).is_err());
        assert!(parse(r#"{"path" {}}"#).is_err());
    }
}
