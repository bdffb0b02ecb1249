//! Reading request fields as the SDK's framework converts them for this plugin (its types
//! `TypeString`, `TypeBool`, `TypeDurationSecond`, `TypeCommaStringSlice`, `TypeKVPairs`),
//! with the framework's error texts.

use crate::reply::VaultError;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};

pub struct Fields<'a> {
    data: &'a Map<String, Value>,
}

/// A field that did not convert: `error converting input for field "X": …`.
pub struct FieldError(String);

impl FieldError {
    /// As a path with an existence check answers it (no prefix).
    pub fn plain(self) -> VaultError {
        VaultError::bad_request(self.0)
    }

    /// As the framework's validation answers it elsewhere.
    pub fn validation(self) -> VaultError {
        VaultError::bad_request(format!("Field validation failed: {}", self.0))
    }
}

fn converting(key: &str, why: impl std::fmt::Display) -> FieldError {
    FieldError(format!("error converting input for field {key:?}: {why}"))
}

/// Go's `strconv.ParseBool`.
fn go_bool(text: &str) -> Option<bool> {
    match text {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// mapstructure's weak conversion of a scalar to a string.
fn weak_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_string()),
        _ => None,
    }
}

fn unconvertible(key: &str, expected: &str, value: &Value) -> FieldError {
    converting(
        key,
        format!(
            "'' expected type '{expected}', got unconvertible type '{}', value: '{value}'",
            go_type(value)
        ),
    )
}

fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
        Value::String(_) => "string",
        Value::Number(_) => "json.Number",
        Value::Bool(_) => "bool",
        Value::Null => "<nil>",
    }
}

impl<'a> Fields<'a> {
    pub fn of(data: &'a Map<String, Value>) -> Fields<'a> {
        Fields { data }
    }

    fn given(&self, key: &str) -> Option<&'a Value> {
        self.data.get(key).filter(|v| !v.is_null())
    }

    /// The fields given that the path does not have, sorted.
    pub fn unknown(&self, known: &[&str]) -> Vec<String> {
        let mut unknown: Vec<String> = self
            .data
            .keys()
            .filter(|k| !known.contains(&k.as_str()))
            .cloned()
            .collect();
        unknown.sort();
        unknown
    }

    pub fn string(&self, key: &str) -> Result<Option<String>, FieldError> {
        self.given(key)
            .map(|v| weak_string(v).ok_or_else(|| unconvertible(key, "string", v)))
            .transpose()
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, FieldError> {
        let Some(value) = self.given(key) else {
            return Ok(None);
        };
        let parsed = match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s.is_empty() => Some(false),
            Value::String(s) => go_bool(s),
            Value::Number(n) => Some(n.as_f64() != Some(0.0)),
            _ => None,
        };
        parsed.map(Some).ok_or_else(|| {
            converting(
                key,
                "'' cannot parse value as 'bool': strconv.ParseBool: invalid syntax",
            )
        })
    }

    /// Seconds, from a number or a duration string (parseutil's `ParseDurationSecond`).
    pub fn duration(&self, key: &str) -> Result<Option<u64>, FieldError> {
        let Some(value) = self.given(key) else {
            return Ok(None);
        };
        let seconds = match value {
            Value::Number(n) => n.as_f64().map(|f| f.trunc() as i64).unwrap_or(0),
            Value::String(s) => duration_seconds(s).map_err(|e| converting(key, e))?,
            other => return Err(unconvertible(key, "int", other)),
        };
        if seconds < 0 {
            return Err(converting(
                key,
                format!("cannot provide negative value '{seconds}'"),
            ));
        }
        Ok(Some(seconds as u64))
    }

    /// A comma-separated string or a list, each item trimmed (empties kept).
    pub fn comma_slice(&self, key: &str) -> Result<Option<Vec<String>>, FieldError> {
        let Some(value) = self.given(key) else {
            return Ok(None);
        };
        let items = match value {
            Value::String(s) if s.is_empty() => Vec::new(),
            Value::String(s) => s.split(',').map(|p| p.trim().to_string()).collect(),
            Value::Array(items) => items
                .iter()
                .map(|item| {
                    weak_string(item)
                        .map(|s| s.trim().to_string())
                        .ok_or_else(|| unconvertible(key, "string", item))
                })
                .collect::<Result<_, _>>()?,
            other => vec![weak_string(other).ok_or_else(|| unconvertible(key, "[]string", other))?],
        };
        Ok(Some(items))
    }

    /// An object of strings, or `k=v` strings (a list, or one).
    pub fn kv_pairs(&self, key: &str) -> Result<Option<BTreeMap<String, String>>, FieldError> {
        let Some(value) = self.given(key) else {
            return Ok(None);
        };
        if let Value::Object(map) = value {
            return map
                .iter()
                .map(|(k, v)| {
                    weak_string(v)
                        .map(|v| (k.clone(), v))
                        .ok_or_else(|| unconvertible(key, "string", v))
                })
                .collect::<Result<_, _>>()
                .map(Some);
        }
        let pairs: Vec<String> = match value {
            Value::Array(items) => items
                .iter()
                .map(|i| weak_string(i).ok_or_else(|| unconvertible(key, "string", i)))
                .collect::<Result<_, _>>()?,
            other => vec![weak_string(other).ok_or_else(|| unconvertible(key, "[]string", other))?],
        };
        let mut map = BTreeMap::new();
        for (index, pair) in pairs.iter().enumerate() {
            match pair.split_once('=') {
                Some((k, v)) if !k.is_empty() => {
                    map.insert(k.to_string(), v.to_string());
                }
                _ => {
                    return Err(converting(
                        key,
                        format!("invalid key pair at index {index} in field {key:?}"),
                    ))
                }
            }
        }
        Ok(Some(map))
    }
}

/// A duration string: whole seconds, `Nd` days, or Go's `time.ParseDuration` syntax; the
/// error is Go's text.
fn duration_seconds(text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Ok(0);
    }
    if let Ok(seconds) = text.parse::<i64>() {
        return Ok(seconds);
    }
    if let Some(days) = text.strip_suffix('d') {
        return days
            .parse::<i64>()
            .map(|d| d * 86_400)
            .map_err(|_| format!("strconv.ParseInt: parsing {days:?}: invalid syntax"));
    }
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let has_unit = unsigned.ends_with(|c: char| c.is_ascii_alphabetic());
    match crate::ttl::parse_duration(unsigned) {
        Ok(seconds) if has_unit => Ok(if negative {
            -(seconds as i64)
        } else {
            seconds as i64
        }),
        _ => Err(format!("time: invalid duration {text:?}")),
    }
}

/// strutil's `RemoveDuplicates`: trimmed, empties dropped, optionally lowercased, unique,
/// sorted.
pub fn remove_duplicates(items: Vec<String>, lowercase: bool) -> Vec<String> {
    let set: BTreeSet<String> = items
        .into_iter()
        .map(|i| i.trim().to_string())
        .filter(|i| !i.is_empty())
        .map(|i| if lowercase { i.to_lowercase() } else { i })
        .collect();
    set.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn durations_as_parseutil_reads_them() {
        assert_eq!(duration_seconds("90").unwrap(), 90);
        assert_eq!(duration_seconds("1h30m").unwrap(), 5400);
        assert_eq!(duration_seconds("2d").unwrap(), 172_800);
        assert_eq!(duration_seconds("-5s").unwrap(), -5);
        assert_eq!(
            duration_seconds("bad").unwrap_err(),
            "strconv.ParseInt: parsing \"ba\": invalid syntax"
        );
        assert_eq!(
            duration_seconds("abc").unwrap_err(),
            "time: invalid duration \"abc\""
        );
        let data = fields(json!({"ttl": -5}));
        let error = Fields::of(&data).duration("ttl").err().unwrap();
        assert_eq!(
            error.0,
            "error converting input for field \"ttl\": cannot provide negative value '-5'"
        );
    }

    #[test]
    fn lists_and_pairs() {
        let data = fields(json!({
            "ns": ["B", "a", " b ", "A", ""],
            "aud": "b, a,b,",
            "one": "k1=v1,k2=v2",
            "bad": "bad",
        }));
        let f = Fields::of(&data);
        let ns = f.comma_slice("ns").ok().flatten().unwrap();
        assert_eq!(remove_duplicates(ns, true), ["a", "b"]);
        assert_eq!(
            f.comma_slice("aud").ok().flatten().unwrap(),
            ["b", "a", "b", ""]
        );
        assert_eq!(
            f.kv_pairs("one").ok().flatten().unwrap(),
            BTreeMap::from([("k1".to_string(), "v1,k2=v2".to_string())])
        );
        assert_eq!(
            f.kv_pairs("bad").err().unwrap().0,
            "error converting input for field \"bad\": invalid key pair at index 0 in field \"bad\""
        );
    }
}
