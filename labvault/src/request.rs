//! A Vault API request as the core sees it, independent of HTTP: the logical operation, the
//! path below `/v1/`, the parameters (JSON body, form body or query string) and the token.

use serde_json::{Map, Value};

/// The logical operation, as Vault's ACL knows them. `POST`/`PUT` arrive as `Update` and
/// become `Create` when the backend says the target does not exist yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Read,
    List,
    Create,
    Update,
    Patch,
    Delete,
}

impl Operation {
    /// The capability the ACL must grant for this operation.
    pub fn capability(self) -> vaultdeck_policy::Capability {
        use vaultdeck_policy::Capability as C;
        match self {
            Operation::Read => C::Read,
            Operation::List => C::List,
            Operation::Create => C::Create,
            Operation::Update => C::Update,
            Operation::Patch => C::Patch,
            Operation::Delete => C::Delete,
        }
    }

    pub fn is_write(self) -> bool {
        matches!(
            self,
            Operation::Create | Operation::Update | Operation::Patch
        )
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    pub operation: Operation,
    /// Below `/v1/`, without a leading slash; a LIST path always ends in `/`.
    pub path: String,
    pub data: Map<String, Value>,
    pub token: Option<String>,
}

/// Reading parameters the way Vault's framework coerces them: numbers may arrive as strings
/// (query strings, forms), lists as comma-separated strings, durations as `"1h"` or seconds.
pub trait Params {
    fn raw(&self, key: &str) -> Option<&Value>;

    fn has(&self, key: &str) -> bool {
        self.raw(key).is_some()
    }

    fn string(&self, key: &str) -> Result<Option<String>, String> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(Value::Bool(b)) => Ok(Some(b.to_string())),
            Some(_) => Err(format!("{key}: expected a string")),
        }
    }

    fn u64(&self, key: &str) -> Result<Option<u64>, String> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .or_else(|| {
                    n.as_f64()
                        .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                        .map(|f| f as u64)
                })
                .map(Some)
                .ok_or_else(|| format!("{key}: expected a non-negative integer")),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s.trim().parse().map(Some).map_err(|_| {
                format!("error converting input {s} for field \"{key}\": expected an integer")
            }),
            Some(_) => Err(format!("{key}: expected an integer")),
        }
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, String> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" | "t" => Ok(Some(true)),
                "false" | "0" | "f" => Ok(Some(false)),
                _ => Err(format!(
                    "error converting input {s} for field \"{key}\": expected a boolean"
                )),
            },
            Some(Value::Number(n)) => Ok(Some(n.as_f64() != Some(0.0))),
            Some(_) => Err(format!("{key}: expected a boolean")),
        }
    }

    /// A list of strings: a JSON array, or a comma-separated string.
    fn strings(&self, key: &str) -> Result<Option<Vec<String>>, String> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(format!("{key}: expected a list of strings")),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(|v| Some(v.into_iter().filter(|s| !s.is_empty()).collect())),
            Some(Value::String(s)) => Ok(Some(
                s.split(',')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect(),
            )),
            Some(_) => Err(format!("{key}: expected a list of strings")),
        }
    }

    /// A duration in seconds: an integer, or a Go-style duration string (`"1h30m"`).
    fn duration(&self, key: &str) -> Result<Option<u64>, String> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(_)) => self.u64(key),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => crate::ttl::parse_duration(s)
                .map(Some)
                .map_err(|e| format!("error converting input {s} for field \"{key}\": {e}")),
            Some(_) => Err(format!("{key}: expected a duration")),
        }
    }

    fn object(&self, key: &str) -> Result<Option<Map<String, Value>>, String> {
        match self.raw(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Object(map)) => Ok(Some(map.clone())),
            Some(_) => Err(format!("{key}: expected an object")),
        }
    }
}

impl Params for Map<String, Value> {
    fn raw(&self, key: &str) -> Option<&Value> {
        self.get(key)
    }
}
