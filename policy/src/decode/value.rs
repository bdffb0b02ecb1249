//! What HCL 1's reflection-based decoder (hcl/decoder.go) accepts for each kind of Go field
//! OpenBao decodes a policy into. Its rules are looser than they look and decide whether a
//! policy is accepted:
//!
//! - a string field takes a string, a heredoc or an integer (written as it stands), never
//!   a float or a bool;
//! - a list field appends, so `capabilities` given twice adds up, and it takes an empty
//!   object (`capabilities = {}`) as an empty list, but never a lone string;
//! - a field matches its key ignoring case, and `key "label" { … }` members are decoded
//!   together before plain `key = …` ones;
//! - an `interface{}` field (the wrapping TTLs) takes the type of its first value, and
//!   later values must decode as that type.

use super::units::{parse_float, parse_int_any_base, Scalar};
use crate::hcl::{Item, Key, LiteralKind, Node};
use std::collections::{HashMap, HashSet};
use std::ops::Range;

/// An object member with some leading keys consumed, as Go's `ObjectList.Filter` leaves it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    pub keys: &'a [Key],
    pub value: &'a Node,
    pub item: &'a Item,
}

pub(crate) fn entries(items: &[Item]) -> Vec<Entry<'_>> {
    items
        .iter()
        .map(|item| Entry {
            keys: &item.keys,
            value: &item.value,
            item,
        })
        .collect()
}

/// What Go's decoder is handed: a node, an object's members (an `ObjectList`), or one
/// member (an `ObjectItem`).
#[derive(Clone, Debug)]
pub(crate) enum Val<'a> {
    Node(&'a Node),
    Members(Vec<Entry<'a>>),
    Member(Entry<'a>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DecodeError {
    pub message: String,
    pub span: Range<usize>,
}

/// A key's value; a key whose string Go could not unquote compares as empty.
pub(crate) fn key_text(key: &Key) -> String {
    key.value().unwrap_or_default()
}

/// Members whose first key is `name`, ignoring case, with that key consumed.
pub(crate) fn filter<'a>(members: &[Entry<'a>], name: &str) -> Vec<Entry<'a>> {
    members
        .iter()
        .filter(|entry| {
            entry
                .keys
                .first()
                .is_some_and(|key| equal_fold(&key_text(key), name))
        })
        .map(|entry| Entry {
            keys: &entry.keys[1..],
            ..*entry
        })
        .collect()
}

fn equal_fold(a: &str, b: &str) -> bool {
    a == b
        || a.chars()
            .flat_map(char::to_lowercase)
            .eq(b.chars().flat_map(char::to_lowercase))
}

/// The values a struct field named `name` receives, in Go's order: the members that go on
/// past the name (`name "x" { … }`) together, then each `name = value` or `name { … }`,
/// an object being handed over as its member list.
pub(crate) fn field_values<'a>(members: &[Entry<'a>], name: &str) -> Vec<Val<'a>> {
    let (labelled, plain): (Vec<Entry<'a>>, Vec<Entry<'a>>) = filter(members, name)
        .into_iter()
        .partition(|entry| !entry.keys.is_empty());
    let mut values = Vec::new();
    if !labelled.is_empty() {
        values.push(Val::Members(labelled));
    }
    values.extend(plain.into_iter().map(|entry| match entry.value {
        Node::Object { items, .. } => Val::Members(entries(items)),
        node => Val::Node(node),
    }));
    values
}

fn span_of(value: &Val) -> Range<usize> {
    match value {
        Val::Node(node) => node.span(),
        Val::Members(members) => members
            .first()
            .and_then(|m| m.item.keys.first())
            .map_or(0..0, |key| key.span.clone()),
        Val::Member(entry) => entry.item.keys.first().map_or(0..0, |key| key.span.clone()),
    }
}

/// How an error message names what was found.
pub(crate) fn found(value: &Val) -> &'static str {
    match value {
        Val::Node(Node::Literal(literal)) => match literal.kind {
            LiteralKind::Number | LiteralKind::Float => "a number",
            LiteralKind::Bool => "a bool",
            LiteralKind::String => "a string",
            LiteralKind::Heredoc => "a heredoc",
        },
        Val::Node(Node::List { .. }) => "a list",
        Val::Node(Node::Object { .. }) | Val::Members(_) => "an object",
        Val::Member(_) => "a block",
    }
}

fn mismatch(value: &Val, expected: &str) -> DecodeError {
    DecodeError {
        message: format!("expected {expected}, found {}", found(value)),
        span: span_of(value),
    }
}

fn unreadable_string(span: Range<usize>) -> DecodeError {
    DecodeError {
        message: "the string cannot be read (invalid escape or code point)".to_string(),
        span,
    }
}

/// A Go `string` field: a string, a heredoc, or an integer as written.
pub(crate) fn string(value: &Val) -> Result<(String, Range<usize>), DecodeError> {
    let Val::Node(Node::Literal(literal)) = value else {
        return Err(mismatch(value, "a string"));
    };
    let text = match literal.kind {
        LiteralKind::Number => literal.raw.clone(),
        LiteralKind::String | LiteralKind::Heredoc => literal
            .string_value()
            .ok_or_else(|| unreadable_string(literal.span.clone()))?,
        LiteralKind::Float | LiteralKind::Bool => return Err(mismatch(value, "a string")),
    };
    Ok((text, literal.span.clone()))
}

/// A Go `[]string` field, appended to `out`.
pub(crate) fn strings_into(
    value: &Val,
    out: &mut Vec<(String, Range<usize>)>,
) -> Result<(), DecodeError> {
    for element in slice_elements(value).map_err(|_| mismatch(value, "a list"))? {
        out.push(string(&element)?);
    }
    Ok(())
}

/// The elements Go's `decodeSlice` walks, or `Err` for a value it refuses.
fn slice_elements<'a>(value: &Val<'a>) -> Result<Vec<Val<'a>>, ()> {
    match value {
        Val::Node(Node::List { items, .. }) => Ok(items.iter().map(Val::Node).collect()),
        Val::Node(object @ Node::Object { .. }) => Ok(vec![Val::Node(object)]),
        Val::Members(members) => Ok(members.iter().map(|m| Val::Member(*m)).collect()),
        Val::Node(Node::Literal(_)) | Val::Member(_) => Err(()),
    }
}

/// A Go `int` field: a number, or a string holding one, in any of Go's bases.
pub(crate) fn int(value: &Val) -> Result<i64, DecodeError> {
    let Val::Node(Node::Literal(literal)) = value else {
        return Err(mismatch(value, "a whole number"));
    };
    let digits = match literal.kind {
        LiteralKind::Number => literal.raw.clone(),
        LiteralKind::String => literal
            .string_value()
            .ok_or_else(|| unreadable_string(literal.span.clone()))?,
        _ => return Err(mismatch(value, "a whole number")),
    };
    parse_int_any_base(&digits).ok_or_else(|| DecodeError {
        message: format!("{digits:?} is not a whole number"),
        span: literal.span.clone(),
    })
}

pub(crate) fn boolean(value: &Val) -> Result<bool, DecodeError> {
    match value {
        Val::Node(Node::Literal(literal)) if literal.kind == LiteralKind::Bool => {
            Ok(literal.raw == "true")
        }
        _ => Err(mismatch(value, "true or false")),
    }
}

fn float(value: &Val) -> Result<f64, DecodeError> {
    match value {
        Val::Node(Node::Literal(literal))
            if matches!(literal.kind, LiteralKind::Float | LiteralKind::Number) =>
        {
            parse_float(&literal.raw).ok_or_else(|| DecodeError {
                message: format!("{} is not a number", literal.raw),
                span: literal.span.clone(),
            })
        }
        _ => Err(mismatch(value, "a number")),
    }
}

/// A Go `interface{}` field. `previous` is what an earlier value of the same field put
/// there: Go then decodes into that type (a list appends). `in_slice` is whether the value
/// sits directly in a list, where objects decode as maps rather than lists of maps.
pub(crate) fn any(
    value: &Val,
    previous: Option<&Scalar>,
    in_slice: bool,
) -> Result<Scalar, DecodeError> {
    match previous {
        Some(Scalar::Str(_)) => string(value).map(|(s, _)| Scalar::Str(s)),
        Some(Scalar::Int(_)) => int(value).map(Scalar::Int),
        Some(Scalar::Float(_)) => float(value).map(Scalar::Float),
        Some(Scalar::Bool(_)) => boolean(value).map(Scalar::Bool),
        Some(Scalar::List) => list_of_any(value).map(|()| Scalar::List),
        Some(Scalar::Maps) => list_of_maps(value).map(|()| Scalar::Maps),
        None => fresh_any(value, in_slice),
    }
}

/// An empty `interface{}` takes the type of the value.
fn fresh_any(value: &Val, in_slice: bool) -> Result<Scalar, DecodeError> {
    match value {
        Val::Node(Node::Literal(literal)) => match literal.kind {
            LiteralKind::Bool => boolean(value).map(Scalar::Bool),
            LiteralKind::Float => float(value).map(Scalar::Float),
            LiteralKind::Number => int(value).map(Scalar::Int),
            LiteralKind::String | LiteralKind::Heredoc => {
                string(value).map(|(s, _)| Scalar::Str(s))
            }
        },
        Val::Node(Node::List { .. }) => list_of_any(value).map(|()| Scalar::List),
        Val::Node(Node::Object { .. }) | Val::Members(_) if in_slice => {
            map_of_any(value).map(|()| Scalar::Maps)
        }
        Val::Node(Node::Object { .. }) | Val::Members(_) => {
            list_of_maps(value).map(|()| Scalar::Maps)
        }
        Val::Member(_) => Err(mismatch(value, "a value")),
    }
}

/// A Go `[]interface{}`.
fn list_of_any(value: &Val) -> Result<(), DecodeError> {
    for element in slice_elements(value).map_err(|_| mismatch(value, "a list"))? {
        any(&element, None, true)?;
    }
    Ok(())
}

/// A Go `[]map[string]interface{}`.
fn list_of_maps(value: &Val) -> Result<(), DecodeError> {
    for element in slice_elements(value).map_err(|_| mismatch(value, "a list"))? {
        map_of_any(&element)?;
    }
    Ok(())
}

/// The members of a value Go's `decodeMap` takes: an object, a member list, or one member.
fn map_members<'a>(value: &Val<'a>) -> Result<Vec<Entry<'a>>, DecodeError> {
    match value {
        Val::Member(entry) => Ok(vec![*entry]),
        Val::Node(Node::Object { items, .. }) => Ok(entries(items)),
        Val::Members(members) => Ok(members.clone()),
        Val::Node(_) => Err(mismatch(value, "an object")),
    }
}

/// Walks a map's members as Go's `decodeMap` does, handing each key's value to `decode`:
/// a member with further keys (`"k" "x" { … }`) stands for all members under `"k"`.
fn for_each_map_value<'a>(
    value: &Val<'a>,
    mut decode: impl FnMut(&str, &Val<'a>) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let members = map_members(value)?;
    let mut expanded: HashSet<String> = HashSet::new();
    for entry in &members {
        let Some(first) = entry.keys.first() else {
            return Err(DecodeError {
                message: "a map needs string keys".to_string(),
                span: span_of(value),
            });
        };
        let key = key_text(first);
        if expanded.contains(&key) {
            continue;
        }
        let element = if entry.keys.len() > 1 {
            expanded.insert(key.clone());
            Val::Members(filter(&members, &key))
        } else {
            Val::Node(entry.value)
        };
        decode(&key, &element)?;
    }
    Ok(())
}

/// A Go `map[string]interface{}`.
fn map_of_any(value: &Val) -> Result<(), DecodeError> {
    let mut seen: HashMap<String, Scalar> = HashMap::new();
    for_each_map_value(value, |key, element| {
        let decoded = any(element, seen.get(key), false)?;
        seen.insert(key.to_string(), decoded);
        Ok(())
    })
}

/// A Go `map[string][]interface{}`: `allowed_parameters` and `denied_parameters`.
pub(crate) fn parameter_map(value: &Val) -> Result<(), DecodeError> {
    for_each_map_value(value, |_, element| list_of_any(element))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hcl::parse_document;

    /// Decodes field `name` of the first block in `text` with `decode`.
    fn field<T>(
        text: &str,
        name: &str,
        decode: impl Fn(&Val) -> Result<T, DecodeError>,
    ) -> Result<Vec<T>, DecodeError> {
        let document = parse_document(text).unwrap();
        let Node::Object { items, .. } = &document.items[0].value else {
            panic!("a block")
        };
        let members = entries(items);
        field_values(&members, name).iter().map(decode).collect()
    }

    #[test]
    fn strings_take_integers_but_not_floats_or_bools() {
        assert_eq!(field("p { a = 5 }", "a", string).unwrap()[0].0, "5");
        assert!(field("p { a = 1.5 }", "a", string).is_err());
        assert!(field("p { a = true }", "a", string).is_err());
        assert!(field("p { a = [\"x\"] }", "a", string).is_err());
    }

    #[test]
    fn string_lists_append_and_take_an_empty_object() {
        let mut out = Vec::new();
        for value in field_values(
            &entries(
                match &parse_document("p { c = [\"a\"] c = [\"b\"] C = {} }")
                    .unwrap()
                    .items[0]
                    .value
                {
                    Node::Object { items, .. } => items,
                    _ => panic!(),
                },
            ),
            "c",
        ) {
            strings_into(&value, &mut out).unwrap();
        }
        let names: Vec<_> = out.iter().map(|(s, _)| s.as_str()).collect();
        assert_eq!(names, vec!["a", "b"]);
        assert!(field("p { c = \"read\" }", "c", |v| strings_into(
            v,
            &mut Vec::new()
        ))
        .is_err());
        assert!(field("p { c = { x = 1 } }", "c", |v| strings_into(
            v,
            &mut Vec::new()
        ))
        .is_err());
    }

    #[test]
    fn an_interface_keeps_its_first_type() {
        let decode_all = |text: &str| -> Result<(), DecodeError> {
            let document = parse_document(text).unwrap();
            let Node::Object { items, .. } = &document.items[0].value else {
                panic!()
            };
            let mut previous = None;
            for value in field_values(&entries(items), "t") {
                previous = Some(any(&value, previous.as_ref(), false)?);
            }
            Ok(())
        };
        assert!(decode_all("p { t = \"1h\"\n t = 5 }").is_ok());
        assert!(decode_all("p { t = 5\n t = \"1h\" }").is_err());
        assert!(
            decode_all("p { t = []\n t = \"2d\" }").is_err(),
            "a list then a string"
        );
        assert!(decode_all("p { t = []\n t = [\"2d\"] }").is_ok());
    }

    #[test]
    fn parameter_maps_want_lists() {
        assert!(field(
            "p { m = { \"x\" = [] \"y\" = [\"a\", 1, true] } }",
            "m",
            parameter_map
        )
        .is_ok());
        assert!(field("p { m = { \"x\" = \"a\" } }", "m", parameter_map).is_err());
        assert!(field("p { m = [\"x\"] }", "m", parameter_map).is_err());
    }
}
