//! The secret editor's rules as plain data, testable without a browser: what the form holds
//! in either mode, which paths are acceptable, switching between rows and JSON without
//! loss, and whether anything is unsaved. `editor.rs` keeps only signals and the view.

use super::values::{
    object_from_rows, object_text, parse_object, pretty, rows_from, JsonError, RawData, Row, Value,
};

/// How the user is editing the values at this moment.
#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Rows(Vec<Row>),
    Json(String),
}

/// A snapshot of the form: the path typed (or the secret's own, when editing) and the body.
#[derive(Clone, Debug, PartialEq)]
pub struct SecretDraft {
    pub path: String,
    pub body: Body,
}

impl SecretDraft {
    /// The secret's data as it would be saved, or what stops it from being read.
    pub fn data(&self) -> Result<RawData, String> {
        match &self.body {
            Body::Rows(rows) => object_from_rows(rows),
            Body::Json(text) => {
                parse_object(text).map_err(|e| format!("JSON, {}", json_problem(&e)))
            }
        }
    }

    /// The path to write, without slashes around it. Vault would take `a//b` or `a/../b`
    /// literally (or refuse it), which is never what a person meant.
    pub fn target(&self) -> Result<String, String> {
        let target = self.path.trim().trim_matches('/');
        let acceptable = !target.is_empty()
            && !target
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..");
        if acceptable {
            Ok(target.to_string())
        } else {
            Err("A path is required, like folder/name (no empty, “.” or “..” parts).".into())
        }
    }

    /// The same values in the other mode. Broken JSON or duplicate keys stay where they are,
    /// with the reason, so that switching never drops what the user typed.
    pub fn switched(&self) -> Result<Body, String> {
        match &self.body {
            Body::Json(text) => parse_object(text)
                .map(|data| Body::Rows(rows_from(&data)))
                .map_err(|e| format!("Fix the JSON first — {}", json_problem(&e))),
            Body::Rows(rows) => {
                object_from_rows(rows).map(|data| Body::Json(pretty(&object_text(&data))))
            }
        }
    }

    /// Whether leaving now would lose something: changed values, or (when creating) a path
    /// typed. Values that cannot be read count as changed: they are the user's work.
    pub fn unsaved(&self, original: &RawData, creating: bool) -> bool {
        let changed = self.data().map_or(true, |data| &data != original);
        changed || creating && !self.path.trim().is_empty()
    }
}

/// Where the JSON breaks, as the editor shows it under the text.
pub fn json_problem(error: &JsonError) -> String {
    format!(
        "line {}, column {}: {}",
        error.line, error.column, error.message
    )
}

/// The rows a form starts with: the secret's, or one empty row to type into.
pub fn starting_rows(start: &RawData) -> Vec<Row> {
    let rows = rows_from(start);
    if rows.is_empty() {
        vec![blank_row()]
    } else {
        rows
    }
}

pub fn blank_row() -> Row {
    Row {
        key: String::new(),
        value: Value::Text(String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(pairs: &[(&str, &str)]) -> Vec<Row> {
        pairs
            .iter()
            .map(|(key, value)| Row {
                key: key.to_string(),
                value: Value::Text(value.to_string()),
            })
            .collect()
    }

    fn draft(path: &str, body: Body) -> SecretDraft {
        SecretDraft {
            path: path.into(),
            body,
        }
    }

    #[test]
    fn paths_are_trimmed_and_empty_or_dotted_parts_refused() {
        let ok = |p: &str| draft(p, Body::Rows(vec![])).target();
        assert_eq!(ok(" /webapps/app_one/ ").unwrap(), "webapps/app_one");
        for bad in ["", "  ", "/", "a//b", "a/./b", "../etc", "a/.."] {
            assert!(ok(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn rows_and_json_switch_both_ways_without_loss() {
        let start = draft(
            "p",
            Body::Rows(vec![
                Row {
                    key: "port".into(),
                    value: Value::Json("1.50".into()),
                },
                rows(&[("user", "app")]).remove(0),
            ]),
        );
        let Body::Json(text) = start.switched().unwrap() else {
            panic!("rows switch to JSON")
        };
        assert!(text.contains("\"port\": 1.50"), "{text}");
        let back = draft("p", Body::Json(text)).switched().unwrap();
        assert_eq!(draft("p", back).data(), start.data());
    }

    #[test]
    fn broken_json_stays_json_with_where_it_breaks() {
        let broken = draft("p", Body::Json("{\"a\": \n  1,,}".into()));
        let problem = broken.switched().unwrap_err();
        assert!(
            problem.starts_with("Fix the JSON first — line 2, column"),
            "{problem}"
        );
        assert!(broken
            .data()
            .unwrap_err()
            .starts_with("JSON, line 2, column"));
    }

    #[test]
    fn duplicate_keys_in_rows_do_not_switch() {
        let twice = draft("p", Body::Rows(rows(&[("a", "1"), ("a", "2")])));
        assert!(twice.switched().is_err());
        assert!(twice.data().is_err());
    }

    #[test]
    fn unsaved_means_changed_values_unreadable_values_or_a_typed_path_when_creating() {
        let original: RawData = [("a".to_string(), "\"1\"".to_string())].into();
        let same = draft("x", Body::Rows(rows(&[("a", "1")])));
        assert!(!same.unsaved(&original, false));
        assert!(
            same.unsaved(&original, true),
            "a path typed for a new secret"
        );
        assert!(draft("x", Body::Rows(rows(&[("a", "2")]))).unsaved(&original, false));
        assert!(draft("x", Body::Json("{".into())).unsaved(&original, false));
        let untouched_new = draft(" ", Body::Rows(vec![blank_row()]));
        assert!(!untouched_new.unsaved(&RawData::new(), true));
    }

    #[test]
    fn a_new_secret_starts_with_one_empty_row() {
        assert_eq!(starting_rows(&RawData::new()), vec![blank_row()]);
        let one: RawData = [("k".to_string(), "true".to_string())].into();
        assert_eq!(starting_rows(&one).len(), 1);
        assert_eq!(starting_rows(&one)[0].value, Value::Json("true".into()));
    }
}
