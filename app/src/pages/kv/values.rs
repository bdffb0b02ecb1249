//! A secret's values as the editor holds them: text, or any other JSON value kept as its
//! exact JSON text (so `1.50`, `true` and nested objects come back exactly as written).
//! Rows and JSON convert into each other without loss.

use serde_json::value::RawValue;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    Text(String),
    /// Raw JSON text of a non-string value.
    Json(String),
}

impl Value {
    /// From the raw JSON text of a value as Vault sent it.
    pub fn from_raw(raw: &str) -> Value {
        match serde_json::from_str::<String>(raw) {
            Ok(text) => Value::Text(text),
            Err(_) => Value::Json(raw.trim().to_string()),
        }
    }

    /// The value as JSON text.
    pub fn to_raw(&self) -> String {
        match self {
            Value::Text(text) => serde_json::to_string(text).unwrap_or_default(),
            Value::Json(raw) => raw.clone(),
        }
    }

    /// What a person sees in a table cell.
    pub fn display(&self) -> String {
        match self {
            Value::Text(text) => text.clone(),
            Value::Json(raw) => raw.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    pub key: String,
    pub value: Value,
}

/// A JSON problem at a line and column of the editor's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// Secret data as key → raw JSON text.
pub type RawData = BTreeMap<String, String>;

/// Reads a JSON object keeping each value's exact text.
pub fn parse_object(text: &str) -> Result<RawData, JsonError> {
    let parsed: BTreeMap<String, Box<RawValue>> =
        serde_json::from_str(text).map_err(|e| JsonError {
            line: e.line(),
            column: e.column(),
            message: if e.is_data() {
                "a secret is a JSON object: { \"key\": \"value\", … }".into()
            } else {
                e.to_string()
            },
        })?;
    Ok(parsed
        .into_iter()
        .map(|(k, v)| (k, compact(v.get())))
        .collect())
}

/// JSON text without the whitespace between tokens (strings and number text untouched).
pub fn compact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if c == '"' {
            in_string = true;
            out.push(c);
        } else if !c.is_whitespace() {
            out.push(c);
        }
    }
    out
}

pub fn rows_from(data: &RawData) -> Vec<Row> {
    data.iter()
        .map(|(key, raw)| Row {
            key: key.clone(),
            value: Value::from_raw(raw),
        })
        .collect()
}

/// The rows as a JSON object; refuses empty or repeated keys and invalid JSON values.
pub fn object_from_rows(rows: &[Row]) -> Result<RawData, String> {
    let mut data = RawData::new();
    for (index, row) in rows.iter().enumerate() {
        let key = row.key.trim();
        if key.is_empty() {
            if matches!(&row.value, Value::Text(t) if t.is_empty()) {
                continue; // a blank row is no entry
            }
            return Err(format!("Row {} has a value but no key.", index + 1));
        }
        if data.contains_key(key) {
            return Err(format!("The key “{key}” appears twice."));
        }
        if let Value::Json(raw) = &row.value {
            serde_json::from_str::<Box<RawValue>>(raw)
                .map_err(|e| format!("The value of “{key}” is not valid JSON: {e}"))?;
        }
        data.insert(key.to_string(), row.value.to_raw());
    }
    Ok(data)
}

/// `{"k": <raw>, …}` — compact, each value's text kept.
pub fn object_text(data: &RawData) -> String {
    let body: Vec<String> = data
        .iter()
        .map(|(k, raw)| format!("{}:{}", serde_json::to_string(k).unwrap_or_default(), raw))
        .collect();
    format!("{{{}}}", body.join(","))
}

/// Pretty-prints JSON text by re-indenting its tokens, without re-encoding any value.
pub fn pretty(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut chars = text.chars().peekable();
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.push_str(&"  ".repeat(depth));
    };
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // Empty containers stay on one line.
                while chars.peek().is_some_and(|n| n.is_whitespace()) {
                    chars.next();
                }
                if matches!(chars.peek(), Some('}') | Some(']')) {
                    out.push(chars.next().unwrap_or(' '));
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Added,
    Removed,
    Changed,
    Same,
}

/// Key by key, what changed from `before` to `after` (values compared as JSON).
pub fn diff(before: &RawData, after: &RawData) -> Vec<(String, Change)> {
    let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .map(|key| {
            let change = match (before.get(key), after.get(key)) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                (Some(a), Some(b)) if same_json(a, b) => Change::Same,
                _ => Change::Changed,
            };
            (key.clone(), change)
        })
        .collect()
}

fn same_json(a: &str, b: &str) -> bool {
    a == b
        || serde_json::from_str::<serde_json::Value>(a).ok()
            == serde_json::from_str::<serde_json::Value>(b).ok()
}

/// A JSON merge patch turning `before` into `after`: changed and added keys, and `null`
/// for removed ones. `None` when nothing changed.
pub fn merge_patch(before: &RawData, after: &RawData) -> Option<String> {
    let mut patch = RawData::new();
    for (key, change) in diff(before, after) {
        match change {
            Change::Added | Change::Changed => {
                patch.insert(key.clone(), after[&key].clone());
            }
            Change::Removed => {
                patch.insert(key, "null".into());
            }
            Change::Same => {}
        }
    }
    (!patch.is_empty()).then(|| object_text(&patch))
}

/// Whether `merge_patch` gives exactly `after`. A changed or added value that is a JSON
/// object would be merged into the old one key by key (keys removed inside it kept, its
/// `null`s taken as deletions), so such a change needs a full write instead.
pub fn patch_is_exact(before: &RawData, after: &RawData) -> bool {
    diff(before, after)
        .into_iter()
        .all(|(key, change)| match change {
            Change::Added | Change::Changed => !after[&key].trim_start().starts_with('{'),
            Change::Removed | Change::Same => true,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = r#"{"user":"app","port":5432,"ratio":1.50,"tls":true,"nested":{"a":[1,2,{"b":null}]},"brace":"{not json}"}"#;

    #[test]
    fn a_changed_object_value_needs_a_full_write() {
        let before = parse_object(r#"{"user":"app","limits":{"cpu":1,"memory":2}}"#).unwrap();
        let renamed = parse_object(r#"{"user":"web","limits":{"cpu":1,"memory":2}}"#).unwrap();
        assert!(patch_is_exact(&before, &renamed));
        let narrowed = parse_object(r#"{"user":"app","limits":{"cpu":1}}"#).unwrap();
        assert!(!patch_is_exact(&before, &narrowed));
        let added =
            parse_object(r#"{"user":"app","limits":{"cpu":1,"memory":2},"tags":{"a":null}}"#)
                .unwrap();
        assert!(!patch_is_exact(&before, &added));
        let removed = parse_object(r#"{"user":"app"}"#).unwrap();
        assert!(patch_is_exact(&before, &removed));
    }

    #[test]
    fn values_keep_their_exact_json() {
        let data = parse_object(SECRET).unwrap();
        assert_eq!(data["ratio"], "1.50");
        let rows = rows_from(&data);
        let by_key = |k: &str| rows.iter().find(|r| r.key == k).unwrap().value.clone();
        assert_eq!(by_key("user"), Value::Text("app".into()));
        assert_eq!(by_key("port"), Value::Json("5432".into()));
        assert_eq!(by_key("tls"), Value::Json("true".into()));
        // A string that looks like JSON stays a string.
        assert_eq!(by_key("brace"), Value::Text("{not json}".into()));
    }

    #[test]
    fn rows_and_json_round_trip_without_loss() {
        let data = parse_object(SECRET).unwrap();
        let back = object_from_rows(&rows_from(&data)).unwrap();
        assert_eq!(back, data);
        let reparsed = parse_object(&pretty(&object_text(&back))).unwrap();
        assert_eq!(reparsed, data);
    }

    #[test]
    fn bad_rows_and_bad_json_say_what_is_wrong() {
        let rows = vec![
            Row {
                key: "a".into(),
                value: Value::Text("1".into()),
            },
            Row {
                key: "a".into(),
                value: Value::Text("2".into()),
            },
        ];
        assert!(object_from_rows(&rows)
            .unwrap_err()
            .contains("appears twice"));
        let rows = vec![Row {
            key: "a".into(),
            value: Value::Json("{oops".into()),
        }];
        assert!(object_from_rows(&rows)
            .unwrap_err()
            .contains("not valid JSON"));
        let blank = vec![Row {
            key: " ".into(),
            value: Value::Text(String::new()),
        }];
        assert_eq!(object_from_rows(&blank).unwrap(), RawData::new());
        let error = parse_object("{\n  \"a\": 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!(error.line, 3);
        assert!(parse_object("[1, 2]")
            .unwrap_err()
            .message
            .contains("JSON object"));
    }

    #[test]
    fn pretty_printing_reindents_only() {
        assert_eq!(pretty(r#"{"a":{"b":[1,2]},"c":"x, {y}","e":{}}"#), "{\n  \"a\": {\n    \"b\": [\n      1,\n      2\n    ]\n  },\n  \"c\": \"x, {y}\",\n  \"e\": {}\n}");
    }

    #[test]
    fn diffs_and_merge_patches() {
        let before = parse_object(r#"{"a":"1","b":2,"c":true}"#).unwrap();
        let after = parse_object(r#"{"a":"1","b":3,"d":"new"}"#).unwrap();
        let changes = diff(&before, &after);
        assert_eq!(
            changes,
            vec![
                ("a".into(), Change::Same),
                ("b".into(), Change::Changed),
                ("c".into(), Change::Removed),
                ("d".into(), Change::Added),
            ]
        );
        assert_eq!(
            merge_patch(&before, &after).unwrap(),
            r#"{"b":3,"c":null,"d":"new"}"#
        );
        assert_eq!(merge_patch(&before, &before), None);
        // Formatting differences are not changes.
        assert_eq!(
            diff(
                &parse_object(r#"{"x":{"a":1}}"#).unwrap(),
                &parse_object(r#"{"x": { "a" : 1 }}"#).unwrap()
            )[0]
            .1,
            Change::Same
        );
    }
}
