//! Durations as operators type them (`1h`, `30m`, `768h`, `1h30m`, `90s`, or plain seconds;
//! read by the parser labvault uses too) and as Vault reports them (seconds).

/// Seconds from `text` — what Vault would accept (`90s`, `1h30m`, `1.5h`, `7d`, plain
/// seconds) — or a message for the form; `Ok(None)` for an empty field.
pub fn parse(text: &str) -> Result<Option<u64>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    vaultdeck_durations::parse_seconds(text)
        .map(Some)
        .map_err(|_| format!("“{text}” is not a duration: use e.g. 30m, 1h, 768h or 1h30m"))
}

/// `2764800` → `768h`, `5400` → `1h30m`, `90` → `1m30s`, `0` → `0s`.
pub fn format(seconds: u64) -> String {
    if seconds == 0 {
        return "0s".into();
    }
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    let mut text = String::new();
    if h > 0 {
        text.push_str(&format!("{h}h"));
    }
    if m > 0 {
        text.push_str(&format!("{m}m"));
    }
    if s > 0 {
        text.push_str(&format!("{s}s"));
    }
    text
}

/// A countdown for people: `2h 05m`, `4m 09s`, `12s`.
pub fn countdown(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m {s:02}s"),
        _ => format!("{h}h {m:02}m"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_operators_type() {
        assert_eq!(parse("1h").unwrap(), Some(3600));
        assert_eq!(parse("30m").unwrap(), Some(1800));
        assert_eq!(parse("768h").unwrap(), Some(2_764_800));
        assert_eq!(parse("1h30m").unwrap(), Some(5400));
        assert_eq!(parse(" 45 ").unwrap(), Some(45));
        assert_eq!(parse("").unwrap(), None);
        assert!(parse("1x").is_err());
        assert!(parse("h").is_err());
        assert!(parse("5m3").is_err());
    }

    #[test]
    fn formats_compactly_and_round_trips() {
        assert_eq!(format(2_764_800), "768h");
        assert_eq!(format(5400), "1h30m");
        assert_eq!(format(90), "1m30s");
        for seconds in [0, 1, 59, 60, 3599, 3600, 86_399, 2_764_800] {
            assert_eq!(parse(&format(seconds)).unwrap(), Some(seconds));
        }
        assert_eq!(countdown(7500), "2h 05m");
        assert_eq!(countdown(249), "4m 09s");
    }
}
