//! Durations as Vault reads them: a number of seconds (`300`), or Go's duration syntax with
//! the day unit Vault adds (`90s`, `5m`, `1h30m`, `1.5h`, `768h`, `7d`, `250ms`). One parser
//! for labvault, which must accept what Vault accepts, and for the app's forms, which must
//! not refuse what Vault would take.

/// Whole seconds in `text` (fractions of a second are dropped, as Vault's TTLs are whole
/// seconds); the error is Vault's own text, `time: invalid duration "…"`.
pub fn parse_seconds(text: &str) -> Result<u64, String> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok(seconds);
    }
    let invalid = || format!("time: invalid duration \"{text}\"");
    let mut total = 0f64;
    let mut number = String::new();
    let mut chars = text.chars().peekable();
    let mut saw_unit = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let unit = match (c, chars.peek()) {
            ('m', Some('s')) => {
                chars.next();
                0.001
            }
            ('s', _) => 1.0,
            ('m', _) => 60.0,
            ('h', _) => 3600.0,
            ('d', _) => 86400.0,
            _ => return Err(invalid()),
        };
        let amount: f64 = number.parse().map_err(|_| invalid())?;
        total += amount * unit;
        number.clear();
        saw_unit = true;
    }
    if !number.is_empty() || !saw_unit || !total.is_finite() || total > u64::MAX as f64 {
        return Err(invalid());
    }
    Ok(total as u64)
}

#[cfg(test)]
mod tests {
    use super::parse_seconds;

    #[test]
    fn what_vault_accepts() {
        for (text, seconds) in [
            ("300", 300),
            ("90s", 90),
            ("5m", 300),
            ("1h30m", 5400),
            ("1.5h", 5400),
            ("768h", 2_764_800),
            ("7d", 604_800),
            ("1500ms", 1),
            (" 45 ", 45),
        ] {
            assert_eq!(parse_seconds(text), Ok(seconds), "{text}");
        }
    }

    #[test]
    fn what_vault_refuses_in_its_words() {
        for text in ["", "m", "10x", "1h30", "h1", "1..5h"] {
            assert_eq!(
                parse_seconds(text),
                Err(format!("time: invalid duration \"{}\"", text.trim())),
                "{text}"
            );
        }
    }
}
