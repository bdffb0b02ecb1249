//! A small YAML writer for the manifests Vaultdeck generates: maps keep the order they are
//! built in (so `apiVersion`, `kind`, `metadata`, `spec` come first, as people write them),
//! strings are quoted whenever YAML could read them as something else, and multi-line
//! strings (templates, the CSI provider's `objects`) become literal blocks (`|`).
//!
//! Only what the generators need: no anchors, no flow style, no comments inside documents.
//! The server's tests read every generated document back with a real YAML parser and send
//! it to a real API server.

/// A YAML node.
#[derive(Clone, Debug, PartialEq)]
pub enum Yaml {
    Map(Vec<(String, Yaml)>),
    List(Vec<Yaml>),
    Str(String),
    Bool(bool),
    Int(i64),
}

impl Yaml {
    pub fn str(text: impl Into<String>) -> Yaml {
        Yaml::Str(text.into())
    }

    /// A map from `(key, value)` pairs, in this order.
    pub fn map<K: Into<String>>(entries: impl IntoIterator<Item = (K, Yaml)>) -> Yaml {
        Yaml::Map(entries.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The document, ending in a newline.
    pub fn to_document(&self) -> String {
        let mut out = String::new();
        match self {
            Yaml::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
            Yaml::List(items) if !items.is_empty() => write_list(&mut out, items, 0),
            scalar => {
                out.push_str(&inline(scalar, 0));
                out.push('\n');
            }
        }
        out
    }
}

/// Several documents in one text, separated by `---`.
pub fn documents(docs: &[Yaml]) -> String {
    docs.iter()
        .map(Yaml::to_document)
        .collect::<Vec<_>>()
        .join("---\n")
}

fn write_map(out: &mut String, entries: &[(String, Yaml)], indent: usize) {
    for (key, value) in entries {
        out.push_str(&" ".repeat(indent));
        out.push_str(&scalar_text(key));
        out.push(':');
        write_value(out, value, indent, indent + 2);
    }
}

fn write_list(out: &mut String, items: &[Yaml], indent: usize) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            // A map in a list starts on the dash's line: `- name: x`.
            Yaml::Map(entries) if !entries.is_empty() => {
                let mut nested = String::new();
                write_map(&mut nested, entries, indent + 2);
                out.push(' ');
                out.push_str(&nested[indent + 2..]);
            }
            other => write_value(out, other, indent, indent + 2),
        }
    }
}

/// Writes what follows `key:` or `-`: a nested block on the next lines, or ` scalar`.
fn write_value(out: &mut String, value: &Yaml, indent: usize, nested: usize) {
    match value {
        Yaml::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_map(out, entries, nested);
        }
        // Lists under a key are written at the key's own indentation, as kubectl does.
        Yaml::List(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, indent);
        }
        other => {
            out.push(' ');
            out.push_str(&inline(other, nested));
            out.push('\n');
        }
    }
}

fn inline(value: &Yaml, indent: usize) -> String {
    match value {
        Yaml::Map(_) => "{}".into(),
        Yaml::List(_) => "[]".into(),
        Yaml::Bool(b) => b.to_string(),
        Yaml::Int(i) => i.to_string(),
        Yaml::Str(text) if is_block_worthy(text) => block(text, indent),
        Yaml::Str(text) => scalar_text(text),
    }
}

/// Multi-line text without characters a literal block cannot hold.
fn is_block_worthy(text: &str) -> bool {
    text.contains('\n')
        && !text.contains('\r')
        && !text.chars().any(|c| c.is_control() && c != '\n')
        && !text.starts_with([' ', '\n'])
}

/// `|` (keeps one final newline), `|-` (none) or `|+` (several), then the lines indented.
fn block(text: &str, indent: usize) -> String {
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let pad = " ".repeat(indent);
    let mut out = format!("|{chomp}");
    for line in body.split('\n') {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

/// A key or a one-line string: plain when YAML reads it back as the same string, else in
/// double quotes with JSON's escapes (valid YAML).
fn scalar_text(text: &str) -> String {
    if is_plain_safe(text) {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("a string always encodes")
    }
}

fn is_plain_safe(text: &str) -> bool {
    const RESERVED: [&str; 22] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~", "True", "False", "Yes",
        "No", "On", "Off", "TRUE", "FALSE", "NULL", "Null", "Y", "N",
    ];
    let Some(first) = text.chars().next() else {
        return false;
    };
    let looks_numeric = text
        .chars()
        .all(|c| c.is_ascii_digit() || "+-._eExXoO".contains(c))
        && text.chars().any(|c| c.is_ascii_digit());
    (first.is_ascii_alphanumeric() || first == '/')
        && !RESERVED.contains(&text)
        && !looks_numeric
        && !text.ends_with(' ')
        && !text.contains(": ")
        && !text.contains(" #")
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:@ ".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lists_and_scalars_read_as_kubectl_writes_them() {
        let doc = Yaml::map([
            ("apiVersion", Yaml::str("v1")),
            ("kind", Yaml::str("Pod")),
            (
                "spec",
                Yaml::map([(
                    "containers",
                    Yaml::List(vec![Yaml::map([
                        ("name", Yaml::str("app")),
                        ("readOnly", Yaml::Bool(true)),
                        ("port", Yaml::Int(8080)),
                    ])]),
                )]),
            ),
        ]);
        assert_eq!(
            doc.to_document(),
            "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: app\n    readOnly: true\n    port: 8080\n"
        );
    }

    #[test]
    fn strings_yaml_would_misread_are_quoted() {
        for risky in [
            "true", "no", "8200", "1.5", "", " x", "a: b", "#x", "*", "{x}", "0o17",
        ] {
            assert!(scalar_text(risky).starts_with('"'), "{risky:?}");
        }
        for plain in [
            "kv/data/webapps/app_one",
            "http://vault.vault-system.svc:8200",
            "webapp-one",
            "vault.hashicorp.com/agent-inject",
        ] {
            assert_eq!(scalar_text(plain), plain);
        }
    }

    #[test]
    fn multi_line_strings_become_literal_blocks_with_their_final_newlines() {
        let doc = Yaml::map([
            ("one", Yaml::str("a\nb\n")),
            ("none", Yaml::str("a\nb")),
            ("two", Yaml::str("a\n\nb\n\n")),
        ]);
        assert_eq!(
            doc.to_document(),
            "one: |\n  a\n  b\nnone: |-\n  a\n  b\ntwo: |+\n  a\n\n  b\n\n"
        );
    }

    #[test]
    fn documents_are_separated() {
        let a = Yaml::map([("a", Yaml::Int(1))]);
        assert_eq!(documents(&[a.clone(), a]), "a: 1\n---\na: 1\n");
    }
}
