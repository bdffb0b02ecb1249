//! Name templates: the part of Go's text/template that the engine's names need — text,
//! actions holding pipelines of function calls, `.DisplayName` and `.RoleName`, string and
//! number literals, parentheses — with the SDK's functions (sdk/helper/template) and
//! `printf`. What Go has beyond that (`if`, `range`, variables, `timestamp`'s Go layouts,
//! the other builtins) is refused when the template is parsed, saying so.

use sha2::{Digest, Sha256};

/// The plugin's default (K/path_roles.go `defaultNameTemplate`).
pub const DEFAULT: &str = r#"{{ printf "v-%s-%s-%s-%s" (.DisplayName | truncate 8) (.RoleName | truncate 8) (unix_time) (random 24) | truncate 62 | lowercase }}"#;

/// The SDK's functions labvault has.
const FUNCTIONS: &[&str] = &[
    "printf",
    "random",
    "truncate",
    "truncate_sha256",
    "uppercase",
    "lowercase",
    "replace",
    "sha256",
    "base64",
    "decode_base64",
    "hex",
    "decode_hex",
    "unix_time",
    "unix_time_millis",
    "uuid",
    "glob",
];

/// Go's and the SDK's functions that labvault's templates leave out.
const LEFT_OUT: &[&str] = &[
    "timestamp",
    "and",
    "or",
    "not",
    "len",
    "index",
    "slice",
    "print",
    "println",
    "html",
    "js",
    "urlquery",
    "eq",
    "ne",
    "lt",
    "le",
    "gt",
    "ge",
    "call",
];

const KEYWORDS: &[&str] = &[
    "if", "else", "end", "range", "with", "define", "template", "block", "break", "continue", "nil",
];

/// What a template's names are made from.
pub struct Data<'a> {
    pub display_name: &'a str,
    pub role_name: &'a str,
}

#[derive(Debug)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug)]
enum Part {
    Text(String),
    Action(Pipeline),
}

type Pipeline = Vec<Command>;
type Command = Vec<Operand>;

#[derive(Debug)]
enum Operand {
    Field(String),
    Function(String),
    Text(String),
    Number(i64),
    Bool(bool),
    Nested(Pipeline),
}

#[derive(Clone, Debug, PartialEq)]
enum Value {
    Text(String),
    Number(i64),
    Bool(bool),
}

impl Value {
    fn shown(&self) -> String {
        match self {
            Value::Text(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
        }
    }
}

/// `template: template:LINE: …`, Go's parse error prefix.
fn parse_error(line: usize, what: &str) -> String {
    format!("unable to parse template: template: template:{line}: {what}")
}

impl Template {
    /// Parses as the SDK's `NewTemplate` does; the error is its text.
    pub fn parse(source: &str) -> Result<Template, String> {
        if source.is_empty() {
            return Err("missing template".into());
        }
        let mut parts = Vec::new();
        let mut rest = source;
        let mut line = 1;
        while let Some(open) = rest.find("{{") {
            let mut text = rest[..open].to_string();
            let mut inner = &rest[open + 2..];
            if let Some(trimmed) = inner.strip_prefix("- ") {
                text = text.trim_end().to_string();
                inner = trimmed;
            }
            line += text.matches('\n').count();
            push_text(&mut parts, text);
            let close = inner
                .find("}}")
                .ok_or_else(|| parse_error(line, "unclosed action"))?;
            let mut action = &inner[..close];
            let mut after = &inner[close + 2..];
            if let Some(trimmed) = action.strip_suffix(" -") {
                action = trimmed;
                after = after.trim_start();
            }
            if !action.trim().starts_with("/*") {
                let mut lexer = Lexer::new(action, line);
                let pipeline = lexer.pipeline()?;
                lexer.finish()?;
                parts.push(Part::Action(pipeline));
            }
            line += action.matches('\n').count();
            rest = after;
        }
        push_text(&mut parts, rest.to_string());
        Ok(Template { parts })
    }

    /// Makes a name, as the SDK's `Generate`; the error is its text.
    pub fn generate(&self, data: &Data<'_>) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Action(pipeline) => out.push_str(&run(pipeline, data)?.shown()),
            }
        }
        Ok(out)
    }
}

fn push_text(parts: &mut Vec<Part>, text: String) {
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
}

/// Reads one action's pipeline.
struct Lexer<'a> {
    chars: std::iter::Peekable<std::str::CharIndices<'a>>,
    source: &'a str,
    line: usize,
}

impl<'a> Lexer<'a> {
    fn new(source: &'a str, line: usize) -> Lexer<'a> {
        Lexer {
            chars: source.char_indices().peekable(),
            source,
            line,
        }
    }

    fn error(&self, what: &str) -> String {
        parse_error(self.line, what)
    }

    fn skip_space(&mut self) {
        while self.chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
    }

    fn finish(&mut self) -> Result<(), String> {
        self.skip_space();
        match self.chars.peek().map(|(_, c)| *c) {
            None => Ok(()),
            Some(c) => Err(self.error(&format!("unexpected {c:?} in command"))),
        }
    }

    fn pipeline(&mut self) -> Result<Pipeline, String> {
        let mut commands = vec![self.command()?];
        loop {
            self.skip_space();
            if self.chars.next_if(|(_, c)| *c == '|').is_none() {
                return Ok(commands);
            }
            commands.push(self.command()?);
        }
    }

    fn command(&mut self) -> Result<Command, String> {
        let mut operands = Vec::new();
        loop {
            self.skip_space();
            match self.chars.peek().map(|(_, c)| *c) {
                None | Some('|') | Some(')') => break,
                Some(_) => operands.push(self.operand()?),
            }
        }
        if operands.is_empty() {
            return Err(self.error("missing value for command"));
        }
        Ok(operands)
    }

    fn operand(&mut self) -> Result<Operand, String> {
        let (start, first) = *self.chars.peek().expect("an operand follows");
        match first {
            '(' => {
                self.chars.next();
                let nested = self.pipeline()?;
                self.skip_space();
                if self.chars.next_if(|(_, c)| *c == ')').is_none() {
                    return Err(self.error("unclosed left paren"));
                }
                Ok(Operand::Nested(nested))
            }
            '"' => self.quoted().map(Operand::Text),
            '`' => {
                self.chars.next();
                let text: String = self
                    .chars
                    .by_ref()
                    .map(|(_, c)| c)
                    .take_while(|c| *c != '`')
                    .collect();
                Ok(Operand::Text(text))
            }
            '$' => Err(self.error("labvault's name templates do not support variables")),
            _ => {
                let word = self.word(start);
                self.classify(&word)
            }
        }
    }

    fn word(&mut self, start: usize) -> String {
        let mut end = start;
        while let Some((at, c)) = self.chars.peek().copied() {
            if c.is_whitespace() || matches!(c, '|' | '(' | ')' | '"') {
                break;
            }
            end = at + c.len_utf8();
            self.chars.next();
        }
        self.source[start..end].to_string()
    }

    fn classify(&self, word: &str) -> Result<Operand, String> {
        if let Some(field) = word.strip_prefix('.') {
            return Ok(Operand::Field(field.to_string()));
        }
        if let Ok(number) = word.parse::<i64>() {
            return Ok(Operand::Number(number));
        }
        match word {
            "true" => return Ok(Operand::Bool(true)),
            "false" => return Ok(Operand::Bool(false)),
            _ => {}
        }
        if KEYWORDS.contains(&word) || LEFT_OUT.contains(&word) {
            return Err(self.error(&format!(
                "labvault's name templates do not support {word:?}"
            )));
        }
        if FUNCTIONS.contains(&word) {
            return Ok(Operand::Function(word.to_string()));
        }
        Err(self.error(&format!("function {word:?} not defined")))
    }

    /// A Go interpreted string literal.
    fn quoted(&mut self) -> Result<String, String> {
        self.chars.next();
        let mut text = String::new();
        while let Some((_, c)) = self.chars.next() {
            match c {
                '"' => return Ok(text),
                '\\' => match self.chars.next().map(|(_, c)| c) {
                    Some('n') => text.push('\n'),
                    Some('t') => text.push('\t'),
                    Some(other) => text.push(other),
                    None => break,
                },
                other => text.push(other),
            }
        }
        Err(self.error("unterminated quoted string"))
    }
}

fn exec_error(what: &str) -> String {
    format!("unable to apply template: template: template: executing \"template\": {what}")
}

fn run(pipeline: &Pipeline, data: &Data<'_>) -> Result<Value, String> {
    let mut piped: Option<Value> = None;
    for command in pipeline {
        piped = Some(call(command, piped, data)?);
    }
    Ok(piped.expect("a pipeline has a command"))
}

fn call(command: &Command, piped: Option<Value>, data: &Data<'_>) -> Result<Value, String> {
    let Operand::Function(name) = &command[0] else {
        if command.len() > 1 || piped.is_some() {
            return Err(exec_error("can't give argument to non-function"));
        }
        return evaluate(&command[0], data);
    };
    let mut args = command[1..]
        .iter()
        .map(|operand| evaluate(operand, data))
        .collect::<Result<Vec<_>, _>>()?;
    args.extend(piped);
    apply(name, &args).map_err(|e| exec_error(&format!("error calling {name}: {e}")))
}

fn evaluate(operand: &Operand, data: &Data<'_>) -> Result<Value, String> {
    Ok(match operand {
        Operand::Field(field) => match field.as_str() {
            "DisplayName" => Value::Text(data.display_name.to_string()),
            "RoleName" => Value::Text(data.role_name.to_string()),
            other => {
                return Err(exec_error(&format!(
                    "can't evaluate field {other} in type kubesecrets.nameMetadata"
                )))
            }
        },
        Operand::Function(name) => {
            apply(name, &[]).map_err(|e| exec_error(&format!("error calling {name}: {e}")))?
        }
        Operand::Text(text) => Value::Text(text.clone()),
        Operand::Number(number) => Value::Number(*number),
        Operand::Bool(flag) => Value::Bool(*flag),
        Operand::Nested(pipeline) => run(pipeline, data)?,
    })
}

fn text_arg(args: &[Value], at: usize) -> Result<String, String> {
    match args.get(at) {
        Some(Value::Text(text)) => Ok(text.clone()),
        Some(other) => Err(format!(
            "wrong type for value; expected string; got {other:?}"
        )),
        None => Err("wrong number of args".into()),
    }
}

fn number_arg(args: &[Value], at: usize) -> Result<i64, String> {
    match args.get(at) {
        Some(Value::Number(n)) => Ok(*n),
        Some(other) => Err(format!("wrong type for value; expected int; got {other:?}")),
        None => Err("wrong number of args".into()),
    }
}

fn apply(name: &str, args: &[Value]) -> Result<Value, String> {
    let text = |s: String| Ok(Value::Text(s));
    match name {
        "printf" => text(printf(&text_arg(args, 0)?, &args[1..])),
        "random" => text(crate::tokens::random_base62(
            number_arg(args, 0)?.max(0) as usize
        )),
        "truncate" => truncate(number_arg(args, 0)?, &text_arg(args, 1)?).map(Value::Text),
        "truncate_sha256" => {
            truncate_sha256(number_arg(args, 0)?, &text_arg(args, 1)?).map(Value::Text)
        }
        "uppercase" => text(text_arg(args, 0)?.to_uppercase()),
        "lowercase" => text(text_arg(args, 0)?.to_lowercase()),
        "replace" => text(text_arg(args, 2)?.replace(&text_arg(args, 0)?, &text_arg(args, 1)?)),
        "sha256" => text(hex::encode(Sha256::digest(text_arg(args, 0)?.as_bytes()))),
        "base64" => {
            use base64::Engine;
            text(base64::engine::general_purpose::STANDARD.encode(text_arg(args, 0)?))
        }
        "decode_base64" => {
            use base64::Engine;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text_arg(args, 0)?)
                .map_err(|e| e.to_string())?;
            text(String::from_utf8_lossy(&bytes).into_owned())
        }
        "hex" => text(hex::encode(text_arg(args, 0)?)),
        "decode_hex" => {
            let bytes = hex::decode(text_arg(args, 0)?).map_err(|e| e.to_string())?;
            text(String::from_utf8_lossy(&bytes).into_owned())
        }
        "unix_time" => text(chrono::Utc::now().timestamp().to_string()),
        "unix_time_millis" => text(chrono::Utc::now().timestamp_millis().to_string()),
        "uuid" => text(uuid::Uuid::new_v4().to_string()),
        "glob" => Ok(Value::Bool(crate::backends::kubernetes::glob(
            &text_arg(args, 0)?,
            &text_arg(args, 1)?,
        ))),
        _ => Err(format!("function {name:?} not defined")),
    }
}

/// The SDK's `truncate`: bytes, as Go slices strings.
fn truncate(max: i64, text: &str) -> Result<String, String> {
    if max <= 0 {
        return Err(format!("max length must be > 0 but was {max}"));
    }
    Ok(byte_prefix(text, max as usize))
}

fn truncate_sha256(max: i64, text: &str) -> Result<String, String> {
    if max <= 8 {
        return Err(format!("max length must be > 8 but was {max}"));
    }
    let max = max as usize;
    if text.len() <= max {
        return Ok(text.to_string());
    }
    let cut = max - 8;
    let hash = hex::encode(Sha256::digest(&text.as_bytes()[cut..]));
    Ok(format!("{}{}", byte_prefix(text, cut), &hash[..8]))
}

fn byte_prefix(text: &str, length: usize) -> String {
    let bytes = &text.as_bytes()[..length.min(text.len())];
    String::from_utf8_lossy(bytes).into_owned()
}

/// Go's `fmt.Sprintf` for the verbs a name needs: `%s`, `%v`, `%d`, `%q`, `%%`.
fn printf(format: &str, args: &[Value]) -> String {
    let mut out = String::new();
    let mut next = args.iter();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        match (verb, next.next()) {
            (_, None) => out.push_str(&format!("%!{verb}(MISSING)")),
            ('s' | 'v' | 'd', Some(value)) => out.push_str(&value.shown()),
            ('q', Some(value)) => out.push_str(&format!("{:?}", value.shown())),
            (_, Some(value)) => out.push_str(&format!("%!{verb}({})", value.shown())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> Data<'static> {
        Data {
            display_name: "token-My-Very-Long",
            role_name: "bind-role",
        }
    }

    #[test]
    fn the_default_makes_the_plugins_names() {
        let name = Template::parse(DEFAULT).unwrap().generate(&data()).unwrap();
        let parts: Vec<&str> = name.split('-').collect();
        assert_eq!(&parts[..5], ["v", "token", "my", "bind", "rol"], "{name}");
        assert!(parts[5].parse::<i64>().is_ok(), "{name}");
        assert_eq!(parts[6].len(), 24);
        assert_eq!(name, name.to_lowercase());
        assert!(name.len() <= 62);
    }

    #[test]
    fn pipelines_literals_and_functions() {
        let generate = |t: &str| Template::parse(t).unwrap().generate(&data()).unwrap();
        assert_eq!(generate("x-{{ .RoleName | uppercase }}"), "x-BIND-ROLE");
        assert_eq!(
            generate(r#"{{ .RoleName | replace "-" "_" }}"#),
            "bind_role"
        );
        assert_eq!(generate(r#"{{- " a " -}} b"#), " a b");
        assert_eq!(generate(r#"{{ printf "%s/%d" "n" 3 }}"#), "n/3");
        assert_eq!(
            generate("{{ .DisplayName | truncate_sha256 12 }}").len(),
            12
        );
        assert_eq!(generate("{{ random 6 }}x").len(), 7);
    }

    #[test]
    fn errors_read_as_gos() {
        let error = |t: &str| Template::parse(t).unwrap_err();
        assert_eq!(
            error("{{ .Foo "),
            "unable to parse template: template: template:1: unclosed action"
        );
        assert_eq!(
            error("{{ nope 1 }}"),
            "unable to parse template: template: template:1: function \"nope\" not defined"
        );
        assert!(error("{{ if .RoleName }}x{{ end }}").contains("do not support \"if\""));
        assert!(error(r#"{{ timestamp "2006" }}"#).contains("do not support \"timestamp\""));
    }
}
