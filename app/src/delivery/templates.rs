//! The agent's template for each secret (consul-template / openbao-template syntax), and the
//! check of a rendered file against the secret's values.
//!
//! A KV v2 read answers `{"data": {"data": {…}, "metadata": {…}}}`, so a template reaches
//! the keys as `.Data.data.KEY`; a KV v1 read answers `{"data": {…}}`, reached as
//! `.Data.KEY` (openbao-template `dependency/vault_read.go`; a v2 path without `data/` is
//! rewritten by the agent, but Vaultdeck always writes the API path itself). Every template
//! ends with `-}}`, which trims the newline an HCL heredoc adds after it.

use super::{Format, SecretPick};
use serde_json::Value;

/// The template text for one secret.
pub fn template(secret: &SecretPick) -> String {
    let path = secret.api_path();
    let data = secret.data_expression();
    match secret.format {
        Format::EnvFile => {
            let lines: String = secret
                .keys
                .iter()
                .map(|key| format!("{key}={{{{ {data}.{key} }}}}\n"))
                .collect();
            format!("{{{{- with secret \"{path}\" -}}}}\n{lines}{{{{ end -}}}}")
        }
        Format::Json => {
            let fields: Vec<String> = secret
                .keys
                .iter()
                .map(|key| format!("  \"{key}\": {{{{ {data}.{key} | toJSON }}}}"))
                .collect();
            format!(
                "{{{{- with secret \"{path}\" -}}}}\n{{\n{}\n}}\n{{{{ end -}}}}",
                fields.join(",\n")
            )
        }
        Format::OneKey => {
            let key = secret.keys.first().map(String::as_str).unwrap_or_default();
            format!("{{{{- with secret \"{path}\" -}}}}\n{{{{ {data}.{key} }}}}\n{{{{- end -}}}}")
        }
    }
}

/// Whether one key's value is in a rendered file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct KeyCheck {
    pub key: String,
    pub found: bool,
}

/// Checks a rendered file against the secret's values (the `data` of a KV read: for v2,
/// the inner `data`): for each key, whether the file holds exactly that value where the
/// format puts it.
pub fn verify(
    secret: &SecretPick,
    values: &serde_json::Map<String, Value>,
    rendered: &str,
) -> Vec<KeyCheck> {
    secret
        .keys
        .iter()
        .map(|key| {
            let found = match values.get(key) {
                None => false,
                Some(value) => holds(secret.format, key, value, rendered),
            };
            KeyCheck {
                key: key.clone(),
                found,
            }
        })
        .collect()
}

fn holds(format: Format, key: &str, value: &Value, rendered: &str) -> bool {
    match format {
        Format::EnvFile => {
            let line = format!("{key}={}", go_text(value));
            rendered.lines().any(|l| l == line)
        }
        Format::Json => serde_json::from_str::<Value>(rendered)
            .ok()
            .and_then(|object| object.get(key).cloned())
            .is_some_and(|found| &found == value),
        Format::OneKey => rendered == go_text(value),
    }
}

/// How Go's text/template prints a JSON value read from Vault: strings as they are,
/// numbers and booleans as JSON writes them (maps and lists differ: not compared).
fn go_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(_) | Value::Bool(_) => value.to_string(),
        _ => format!("\u{0}{value}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pick(kv_version: u8, format: Format, keys: &[&str]) -> SecretPick {
        SecretPick {
            name: "app_one".into(),
            mount: "kv".into(),
            kv_version,
            path: "webapps/app_one".into(),
            keys: keys.iter().map(|k| k.to_string()).collect(),
            format,
        }
    }

    #[test]
    fn env_files_name_each_key_on_the_v2_data_path() {
        assert_eq!(
            template(&pick(2, Format::EnvFile, &["password", "username"])),
            "{{- with secret \"kv/data/webapps/app_one\" -}}\npassword={{ .Data.data.password }}\nusername={{ .Data.data.username }}\n{{ end -}}"
        );
    }

    #[test]
    fn kv_v1_reads_the_plain_path_and_data() {
        assert_eq!(
            template(&pick(1, Format::OneKey, &["password"])),
            "{{- with secret \"kv/webapps/app_one\" -}}\n{{ .Data.password }}\n{{- end -}}"
        );
    }

    #[test]
    fn json_quotes_every_value_with_to_json() {
        assert_eq!(
            template(&pick(2, Format::Json, &["a", "b"])),
            "{{- with secret \"kv/data/webapps/app_one\" -}}\n{\n  \"a\": {{ .Data.data.a | toJSON }},\n  \"b\": {{ .Data.data.b | toJSON }}\n}\n{{ end -}}"
        );
    }

    #[test]
    fn a_render_is_checked_key_by_key() {
        let values = json!({ "password": "s3cr3t", "port": 5432 });
        let values = values.as_object().unwrap();
        let env = pick(2, Format::EnvFile, &["password", "port"]);
        let checks = verify(&env, values, "password=s3cr3t\nport=5432\n");
        assert!(checks.iter().all(|c| c.found), "{checks:?}");
        let wrong = verify(&env, values, "password=<no value>\nport=5432\n");
        assert!(!wrong[0].found && wrong[1].found);
        let json = pick(2, Format::Json, &["password"]);
        assert!(verify(&json, values, "{\n  \"password\": \"s3cr3t\"\n}\n")[0].found);
        assert!(!verify(&json, values, "{\"password\": \"other\"}")[0].found);
        let one = pick(2, Format::OneKey, &["password"]);
        assert!(verify(&one, values, "s3cr3t")[0].found);
        assert!(!verify(&one, values, "s3cr3t\n")[0].found);
        let missing = pick(2, Format::OneKey, &["username"]);
        assert!(!verify(&missing, values, "")[0].found);
    }
}
