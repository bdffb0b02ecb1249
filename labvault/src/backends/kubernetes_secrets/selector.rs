//! The role fields written in YAML or JSON, read as Kubernetes' `YAMLOrJSONDecoder` reads
//! them into Go structs: `allowed_kubernetes_namespace_selector` (a `LabelSelector`) and
//! `generated_role_rules` (`{rules: [PolicyRule]}`). Unknown keys are ignored; a value of
//! the wrong type is an error, as Go's JSON decoder has it.

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use vaultdeck_yaml::NotCounted;

/// JSON when it starts with `{`, else YAML (its first document).
fn decode(text: &str) -> Result<Value, String> {
    if text.trim_start().starts_with('{') {
        let mut values = serde_json::Deserializer::from_str(text).into_iter::<Value>();
        return values
            .next()
            .unwrap_or(Ok(Value::Null))
            .map_err(|e| e.to_string());
    }
    // Go's YAML decoder refuses a document whose aliases expand past reason, with these
    // words; the parser here would build every copy.
    match vaultdeck_yaml::count_values(text, MOST_YAML_VALUES) {
        Ok(()) => serde_norway::from_str::<Value>(text).map_err(|e| e.to_string()),
        Err(NotCounted::TooMany) => Err("yaml: document contains excessive aliasing".into()),
        Err(NotCounted::Unreadable(why)) => Err(why),
    }
}

/// More than a Role's rules or a label selector plausibly stand for, counted as
/// `vaultdeck_yaml::count_values` counts (a value one, a string its bytes too).
const MOST_YAML_VALUES: usize = 4_000_000;

/// A field of a Go struct: Go's decoder prefers the exact name, then any case.
fn field<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    object.get(name).or_else(|| {
        object
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The value as a struct (an object, or null for none).
fn object(value: &Value, what: &str) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map.clone()),
        Value::Null => Ok(Map::new()),
        other => Err(format!("cannot unmarshal {} into {what}", kind(other))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// A `[]string` field (absent or null: none).
fn strings(value: Option<&Value>, what: &str) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(s) => Ok(s.clone()),
                other => Err(format!("cannot unmarshal {} into {what}", kind(other))),
            })
            .collect(),
        Some(other) => Err(format!("cannot unmarshal {} into {what}", kind(other))),
    }
}

/// `generated_role_rules` as the rules to send: `{rules: [...]}` (no `rules`: none).
pub fn policy_rules(text: &str) -> Result<Value, String> {
    let document = object(&decode(text)?, "Go value of type struct")?;
    let rules = match field(&document, "rules") {
        None | Some(Value::Null) => return Ok(json!([])),
        Some(Value::Array(rules)) => rules,
        Some(other) => {
            return Err(format!(
                "cannot unmarshal {} into []v1.PolicyRule",
                kind(other)
            ))
        }
    };
    rules
        .iter()
        .map(policy_rule)
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn policy_rule(rule: &Value) -> Result<Value, String> {
    let rule = object(rule, "v1.PolicyRule")?;
    let mut out = Map::new();
    out.insert(
        "verbs".into(),
        json!(strings(field(&rule, "verbs"), "[]string")?),
    );
    for key in ["apiGroups", "resources", "resourceNames", "nonResourceURLs"] {
        let values = strings(field(&rule, key), "[]string")?;
        if !values.is_empty() {
            out.insert(key.into(), json!(values));
        }
    }
    Ok(Value::Object(out))
}

/// A `metav1.LabelSelector`.
#[derive(Debug, Default)]
pub struct LabelSelector {
    match_labels: BTreeMap<String, String>,
    match_expressions: Vec<Requirement>,
}

#[derive(Debug)]
struct Requirement {
    key: String,
    operator: String,
    values: Vec<String>,
}

impl LabelSelector {
    pub fn parse(text: &str) -> Result<LabelSelector, String> {
        let selector = object(&decode(text)?, "Go value of type v1.LabelSelector")?;
        let match_labels = match field(&selector, "matchLabels") {
            None | Some(Value::Null) => BTreeMap::new(),
            Some(Value::Object(labels)) => labels
                .iter()
                .map(|(k, v)| match v {
                    Value::String(s) => Ok((k.clone(), s.clone())),
                    other => Err(format!("cannot unmarshal {} into string", kind(other))),
                })
                .collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("cannot unmarshal {} into map", kind(other))),
        };
        let match_expressions = match field(&selector, "matchExpressions") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items.iter().map(requirement).collect::<Result<_, _>>()?,
            Some(other) => return Err(format!("cannot unmarshal {} into array", kind(other))),
        };
        Ok(LabelSelector {
            match_labels,
            match_expressions,
        })
    }

    /// Whether `labels` satisfy every part (`LabelSelectorAsSelector` then `Matches`; an
    /// empty selector matches everything). A bad operator or value set is an error.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> Result<bool, String> {
        let mut all = self
            .match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v));
        for requirement in &self.match_expressions {
            all &= requirement.matches(labels)?;
        }
        Ok(all)
    }
}

fn requirement(value: &Value) -> Result<Requirement, String> {
    let item = object(value, "v1.LabelSelectorRequirement")?;
    let text = |name: &str| match field(&item, name) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(other) => Err(format!("cannot unmarshal {} into string", kind(other))),
    };
    Ok(Requirement {
        key: text("key")?,
        operator: text("operator")?,
        values: strings(field(&item, "values"), "[]string")?,
    })
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> Result<bool, String> {
        let value = labels.get(&self.key);
        match self.operator.as_str() {
            "In" | "NotIn" if self.values.is_empty() => Err(
                "values: Invalid value: []string(nil): for 'in', 'notin' operators, values set can't be empty".into(),
            ),
            "Exists" | "DoesNotExist" if !self.values.is_empty() => Err(format!(
                "values: Invalid value: {:?}: values set must be empty for exists and does not exist",
                self.values
            )),
            "In" => Ok(value.is_some_and(|v| self.values.contains(v))),
            "NotIn" => Ok(!value.is_some_and(|v| self.values.contains(v))),
            "Exists" => Ok(value.is_some()),
            "DoesNotExist" => Ok(value.is_none()),
            other => Err(format!("{other:?} is not a valid label selector operator")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_past_reason_are_refused_as_go_refuses_them() {
        let verbs = vec!["v"; 25_000].join(",");
        let aliases = vec!["*a"; 16_000].join(",");
        let bomb =
            format!("rules: [&a {{apiGroups: [''], resources: [p], verbs: [{verbs}]}}, {aliases}]");
        assert_eq!(
            policy_rules(&bomb).unwrap_err(),
            "yaml: document contains excessive aliasing"
        );
        let reused = "rules:\n- &r {apiGroups: [''], resources: [pods], verbs: [get]}\n- *r\n";
        assert_eq!(policy_rules(reused).unwrap().as_array().unwrap().len(), 2);
    }

    #[test]
    fn rules_in_yaml_or_json() {
        let yaml = "rules:\n- apiGroups: [\"\"]\n  resources: [pods]\n  verbs: [list, get]\n";
        assert_eq!(
            policy_rules(yaml).unwrap(),
            json!([{"apiGroups": [""], "resources": ["pods"], "verbs": ["list", "get"]}])
        );
        let json_rules = r#"{"rules":[{"verbs":["get"],"resources":["secrets"]}]}"#;
        assert_eq!(
            policy_rules(json_rules).unwrap(),
            json!([{"resources": ["secrets"], "verbs": ["get"]}])
        );
        assert_eq!(policy_rules("foo: bar").unwrap(), json!([]));
        assert!(policy_rules("rules: notalist").is_err());
        assert!(policy_rules("rules: [").is_err());
    }

    #[test]
    fn selectors_match_labels_and_expressions() {
        let labels = BTreeMap::from([("team".to_string(), "a".to_string())]);
        let by_label = LabelSelector::parse("matchLabels:\n  team: a\n").unwrap();
        assert!(by_label.matches(&labels).unwrap());
        let not_in = LabelSelector::parse(
            r#"{"matchExpressions":[{"key":"team","operator":"NotIn","values":["a"]}]}"#,
        )
        .unwrap();
        assert!(!not_in.matches(&labels).unwrap());
        let bogus =
            LabelSelector::parse(r#"{"matchExpressions":[{"key":"a","operator":"Bogus"}]}"#)
                .unwrap();
        assert!(bogus.matches(&labels).is_err());
        assert!(LabelSelector::parse("foo: bar")
            .unwrap()
            .matches(&labels)
            .unwrap());
    }
}
