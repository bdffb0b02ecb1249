//! String values: HCL 1's unquoting (hcl/strconv/quote.go), Go's `strconv.Unquote` for the
//! JSON form's strings, and heredoc bodies (hcl/token/token.go, `unindentHeredoc`).
//! `None` is where Go fails — and, since Go then panics, where OpenBao drops the request.

/// Unquotes an HCL 1 string. `${ … }` passes through untouched, escapes and all.
pub(crate) fn hcl(raw: &str) -> Option<String> {
    let body = raw.strip_prefix('"')?.strip_suffix('"')?;
    if !body.contains(['$', '{']) && body.contains('\n') {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("${") {
            rest = copy_interpolation(after, &mut out)?;
            continue;
        }
        if rest.starts_with('\n') {
            return None;
        }
        rest = unquote_char(rest, &mut out, Flavour::Hcl)?;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Copies `${` and what follows up to its matching `}`; returns the text after it.
fn copy_interpolation<'a>(after: &'a str, out: &mut Vec<u8>) -> Option<&'a str> {
    out.extend_from_slice(b"${");
    let mut depth = 1;
    for (i, c) in after.char_indices() {
        let mut buffer = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            _ => {}
        }
        if depth == 0 {
            return Some(&after[i + 1..]);
        }
    }
    None
}

/// Unquotes a JSON-form string as Go's `strconv.Unquote` does.
pub(crate) fn go(raw: &str) -> Option<String> {
    let body = raw.strip_prefix('"')?.strip_suffix('"')?;
    if body.contains('\n') {
        return None;
    }
    let mut out: Vec<u8> = Vec::with_capacity(body.len());
    let mut rest = body;
    while !rest.is_empty() {
        rest = unquote_char(rest, &mut out, Flavour::Go)?;
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Hcl,
    Go,
}

/// Appends the first (possibly escaped) character of `s` to `out`; returns the rest.
fn unquote_char<'a>(s: &'a str, out: &mut Vec<u8>, flavour: Flavour) -> Option<&'a str> {
    let mut chars = s.chars();
    let first = chars.next()?;
    match first {
        '"' => None,
        '\\' => unescape(chars.as_str(), out, flavour),
        c => {
            let mut buffer = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
            Some(chars.as_str())
        }
    }
}

fn unescape<'a>(s: &'a str, out: &mut Vec<u8>, flavour: Flavour) -> Option<&'a str> {
    let code = *s.as_bytes().first()?;
    let rest = &s[1..];
    let simple = match code {
        b'a' => Some(7),
        b'b' => Some(8),
        b'f' => Some(12),
        b'n' => Some(b'\n'),
        b'r' => Some(b'\r'),
        b't' => Some(b'\t'),
        b'v' => Some(11),
        b'\\' => Some(b'\\'),
        b'"' => Some(b'"'),
        _ => None,
    };
    if let Some(byte) = simple {
        out.push(byte);
        return Some(rest);
    }
    match code {
        b'x' => {
            let (value, rest) = hex_digits(rest, 2)?;
            out.push(value as u8);
            Some(rest)
        }
        b'u' | b'U' => {
            let (value, rest) = hex_digits(rest, if code == b'u' { 4 } else { 8 })?;
            push_code_point(value, out, flavour)?;
            Some(rest)
        }
        b'0'..=b'7' => {
            let digits = rest.get(..2)?;
            let mut value = u32::from(code - b'0');
            for d in digits.bytes() {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                value = value * 8 + u32::from(d - b'0');
            }
            (value <= 255).then(|| out.push(value as u8))?;
            Some(&rest[2..])
        }
        _ => None,
    }
}

/// `count` hex digits as Go accumulates them: in a 32-bit signed rune, which wraps.
fn hex_digits(s: &str, count: usize) -> Option<(i32, &str)> {
    let digits = s.get(..count)?;
    let mut value: i32 = 0;
    for d in digits.chars() {
        value = value.wrapping_shl(4) | d.to_digit(16)? as i32;
    }
    Some((value, &s[count..]))
}

fn push_code_point(value: i32, out: &mut Vec<u8>, flavour: Flavour) -> Option<()> {
    let valid = u32::try_from(value).ok().and_then(char::from_u32);
    let c = match (valid, flavour) {
        (Some(c), _) => c,
        // Go's strconv refuses surrogates and values past U+10FFFF.
        (None, Flavour::Go) => return None,
        // HCL 1 only refuses values past U+10FFFF. A value that wrapped negative is written
        // as its low byte; a surrogate as U+FFFD.
        (None, Flavour::Hcl) if value > 0x10FFFF => return None,
        (None, Flavour::Hcl) if value < 0 => {
            out.push(value as u8);
            return Some(());
        }
        (None, Flavour::Hcl) => char::REPLACEMENT_CHARACTER,
    };
    let mut buffer = [0u8; 4];
    out.extend_from_slice(c.encode_utf8(&mut buffer).as_bytes());
    Some(())
}

/// The body of a heredoc token (`<<EOF\n…\nEOF\n`), cut as HCL 1 cuts it: from after the
/// first line to as many bytes before the end as the opening `<<NAME` is long, less one.
/// `<<-NAME` bodies lose the closing line's indentation when every line has it.
pub(crate) fn heredoc(raw: &str) -> String {
    let Some(first_newline) = raw.find('\n') else {
        return String::new();
    };
    let indented = raw.as_bytes().get(2) == Some(&b'-');
    let end = (raw.len() + 1).saturating_sub(first_newline);
    let body = raw.get(first_newline + 1..end).unwrap_or("");
    if !indented {
        return body.to_string();
    }
    let with_last = raw.get(first_newline + 1..end + 1).unwrap_or("");
    let lines: Vec<&str> = with_last.split('\n').collect();
    let prefix = lines.last().copied().unwrap_or("");
    if !lines.iter().all(|line| line.starts_with(prefix)) {
        return body.trim_end_matches([' ', '\t']).to_string();
    }
    let mut out: Vec<&str> = lines[..lines.len() - 1]
        .iter()
        .map(|line| &line[prefix.len()..])
        .collect();
    out.push("");
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hcl_strings() {
        assert_eq!(hcl(r#""secret/*""#).as_deref(), Some("secret/*"));
        assert_eq!(hcl(r#""a\tb\u00e9\x41\101""#).as_deref(), Some("a\tbéAA"));
        assert_eq!(
            hcl(r#""${var.a \"x\"}""#).as_deref(),
            Some(r#"${var.a \"x\"}"#),
            "interpolations are kept as written"
        );
        assert_eq!(hcl("\"a\nb\""), None);
        assert_eq!(
            hcl(r#""\UFFFFFFFF""#).as_deref(),
            Some("\u{FFFD}"),
            "wraps to -1, which Go writes as the byte 0xFF"
        );
        assert_eq!(hcl(r#""\U00110000""#), None);
    }

    #[test]
    fn json_strings_use_gos_rules() {
        assert_eq!(go(r#""a\u00e9""#).as_deref(), Some("aé"));
        assert_eq!(go(r#""\ud83d\ude00""#), None, "surrogates are refused");
        assert_eq!(go(r#""a\/b""#), None);
    }

    #[test]
    fn heredoc_bodies() {
        assert_eq!(heredoc("<<EOF\nread\nEOF\n"), "read\n");
        assert_eq!(heredoc("<<-EOT\n  a\n  b\n  EOT\n"), "a\nb\n");
    }
}
