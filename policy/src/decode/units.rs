//! Numbers, durations and times as OpenBao reads them from a policy: Go's
//! `strconv.ParseInt`, `time.ParseDuration` and go-secure-stdlib's `ParseDurationSecond`
//! and `ParseAbsoluteTime`.

const NANOS_PER_SECOND: i64 = 1_000_000_000;

/// Go's `strconv.ParseInt(s, 0, 64)`: an optional sign, then a `0x`, `0o`, `0b` or `0`
/// (octal) prefix or none, with `_` allowed between digits.
pub(crate) fn parse_int_any_base(s: &str) -> Option<i64> {
    let (negative, unsigned) = split_sign(s);
    let (base, digits) = match unsigned.as_bytes() {
        [b'0', b'x' | b'X', ..] => (16, &unsigned[2..]),
        [b'0', b'o' | b'O', ..] => (8, &unsigned[2..]),
        [b'0', b'b' | b'B', ..] => (2, &unsigned[2..]),
        [b'0', _, ..] => (8, &unsigned[1..]),
        _ => (10, unsigned),
    };
    if !underscores_ok(unsigned) {
        return None;
    }
    let digits: String = digits.chars().filter(|&c| c != '_').collect();
    signed(negative, parse_magnitude(&digits, base)?)
}

/// Go's `strconv.ParseInt(s, 10, 64)`.
pub(crate) fn parse_int_decimal(s: &str) -> Option<i64> {
    let (negative, digits) = split_sign(s);
    signed(negative, parse_magnitude(digits, 10)?)
}

fn split_sign(s: &str) -> (bool, &str) {
    match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    }
}

fn parse_magnitude(digits: &str, base: u32) -> Option<u64> {
    if digits.is_empty() {
        return None;
    }
    digits.chars().try_fold(0u64, |value, c| {
        value
            .checked_mul(u64::from(base))?
            .checked_add(u64::from(c.to_digit(base)?))
    })
}

fn signed(negative: bool, magnitude: u64) -> Option<i64> {
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Go's rule for `_` in integer literals: only between digits, or after a base prefix.
fn underscores_ok(s: &str) -> bool {
    let bytes = s.as_bytes();
    let mut saw = b'^';
    let mut i = 0;
    let mut hex = false;
    if bytes.len() >= 2 && bytes[0] == b'0' && matches!(bytes[1] | 0x20, b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = bytes[1] | 0x20 == b'x';
    }
    for &b in &bytes[i..] {
        if b.is_ascii_digit() || (hex && (b | 0x20).is_ascii_hexdigit()) {
            saw = b'0';
        } else if b == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
    }
    saw != b'_'
}

/// Go's `strconv.ParseFloat(s, 64)` for the forms HCL's scanner produces; out of range
/// is an error there too.
pub(crate) fn parse_float(s: &str) -> Option<f64> {
    s.parse::<f64>().ok().filter(|f| f.is_finite())
}

/// A wrapping TTL or control group TTL as decoded from HCL, before it is read as a
/// duration.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Scalar {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    /// A list (Go's `[]interface{}`).
    List,
    /// An object, which Go puts in an `interface{}` as a list of maps.
    Maps,
}

/// go-secure-stdlib's `ParseDurationSecond`, in nanoseconds: a bare number is seconds, a
/// string is seconds, `<n>d` days, or a Go duration (`90s`, `1h30m`).
pub(crate) fn duration_nanos(value: Option<&Scalar>) -> Result<i64, String> {
    match value {
        None => Ok(0),
        Some(Scalar::Int(seconds)) => Ok(seconds.wrapping_mul(NANOS_PER_SECOND)),
        // Go converts the float to whole nanoseconds' count of seconds first: 1.5 is 1s.
        Some(Scalar::Float(seconds)) => Ok((*seconds as i64).wrapping_mul(NANOS_PER_SECOND)),
        Some(Scalar::Str(text)) => duration_from_text(text),
        Some(Scalar::Bool(_) | Scalar::List | Scalar::Maps) => {
            Err("could not parse duration from input".to_string())
        }
    }
}

fn duration_from_text(text: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Ok(0);
    }
    if let Some(seconds) = parse_int_decimal(text) {
        return Ok(seconds.wrapping_mul(NANOS_PER_SECOND));
    }
    if let Some(days) = text.strip_suffix('d') {
        return parse_int_decimal(days)
            .map(|d| d.wrapping_mul(24 * 3600 * NANOS_PER_SECOND))
            .ok_or_else(|| format!("invalid number of days in {text:?}"));
    }
    go_duration(text)
}

/// Go's `time.ParseDuration`: `[-+]` then one or more `<number><unit>`.
pub(crate) fn go_duration(text: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {text:?}");
    let (negative, mut rest) = split_sign(text);
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let (whole, after_whole) = leading_digits(rest);
        let (fraction, after_fraction) = match after_whole.strip_prefix('.') {
            Some(after_dot) => leading_digits(after_dot),
            None => ("", after_whole),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(invalid());
        }
        let unit_len = after_fraction
            .find(|c: char| c == '.' || c.is_ascii_digit())
            .unwrap_or(after_fraction.len());
        let (unit, after_unit) = after_fraction.split_at(unit_len);
        let nanos = unit_nanos(unit)
            .ok_or_else(|| format!("time: unknown unit {unit:?} in duration {text:?}"))?;
        total += component_nanos(whole, fraction, nanos).ok_or_else(invalid)?;
        if total > 1u128 << 63 {
            return Err(invalid());
        }
        rest = after_unit;
    }
    if negative {
        Ok((-(total as i128)) as i64)
    } else {
        i64::try_from(total).map_err(|_| invalid())
    }
}

fn leading_digits(s: &str) -> (&str, &str) {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.split_at(end)
}

fn unit_nanos(unit: &str) -> Option<u128> {
    Some(match unit {
        "ns" => 1,
        "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
        "ms" => 1_000_000,
        "s" => 1_000_000_000,
        "m" => 60_000_000_000,
        "h" => 3_600_000_000_000,
        _ => return None,
    })
}

fn component_nanos(whole: &str, fraction: &str, unit: u128) -> Option<u128> {
    let whole: u128 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut value = whole.checked_mul(unit)?;
    if !fraction.is_empty() {
        let digits: f64 = format!("0.{fraction}").parse().ok()?;
        value += (digits * unit as f64) as u128;
    }
    Some(value)
}

/// go-secure-stdlib's `ParseAbsoluteTime` for a string: RFC 3339 (with or without
/// fractional seconds) or whole seconds since the epoch. In nanoseconds since the epoch.
pub(crate) fn absolute_time_nanos(text: &str) -> Option<i128> {
    if let Some(nanos) = rfc3339_nanos(text) {
        return Some(nanos);
    }
    parse_int_decimal(text).map(|seconds| i128::from(seconds) * i128::from(NANOS_PER_SECOND))
}

/// `2006-01-02T15:04:05.999999999Z07:00`.
fn rfc3339_nanos(text: &str) -> Option<i128> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' {
        return None;
    }
    if b[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let (fraction_nanos, zone) = fraction_and_zone(&text[19..])?;
    let offset_seconds = zone_offset_seconds(zone)?;
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(i128::from(seconds) * i128::from(NANOS_PER_SECOND) + i128::from(fraction_nanos))
}

fn fraction_and_zone(rest: &str) -> Option<(i64, &str)> {
    let Some(after_dot) = rest.strip_prefix('.') else {
        return Some((0, rest));
    };
    let (digits, zone) = leading_digits(after_dot);
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    let nanos: i64 = format!("{digits:0<9}").parse().ok()?;
    Some((nanos, zone))
}

fn zone_offset_seconds(zone: &str) -> Option<i64> {
    if zone == "Z" {
        return Some(0);
    }
    let b = zone.as_bytes();
    if b.len() != 6 || !matches!(b[0], b'+' | b'-') || b[3] != b':' {
        return None;
    }
    let hours: i64 = zone[1..3].parse().ok()?;
    let minutes: i64 = zone[4..6].parse().ok()?;
    if hours > 23 || minutes > 59 {
        return None;
    }
    let offset = hours * 3600 + minutes * 60;
    Some(if b[0] == b'-' { -offset } else { offset })
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The current time in nanoseconds since the epoch. In the browser `SystemTime` is not
/// available, so the clock comes from JavaScript's `Date`.
pub(crate) fn now_nanos() -> i128 {
    #[cfg(all(target_arch = "wasm32", target_os = "unknown"))]
    {
        (js_sys::Date::now() * 1_000_000.0) as i128
    }
    #[cfg(not(all(target_arch = "wasm32", target_os = "unknown")))]
    {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_as_go_reads_them() {
        assert_eq!(parse_int_any_base("10"), Some(10));
        assert_eq!(parse_int_any_base("-0x1F"), Some(-31));
        assert_eq!(parse_int_any_base("0755"), Some(0o755));
        assert_eq!(parse_int_any_base("08"), None, "a leading 0 means octal");
        assert_eq!(parse_int_any_base("1_000"), Some(1000));
        assert_eq!(parse_int_any_base("1__0"), None);
        assert_eq!(parse_int_any_base("9223372036854775808"), None);
        assert_eq!(parse_int_decimal("-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int_decimal("1h"), None);
    }

    #[test]
    fn durations_as_openbao_reads_them() {
        let s = NANOS_PER_SECOND;
        let d = |v: Scalar| duration_nanos(Some(&v));
        assert_eq!(d(Scalar::Str("90".into())), Ok(90 * s));
        assert_eq!(d(Scalar::Str("90s".into())), Ok(90 * s));
        assert_eq!(d(Scalar::Str("1h30m".into())), Ok(5400 * s));
        assert_eq!(d(Scalar::Str("1.5h".into())), Ok(5400 * s));
        assert_eq!(d(Scalar::Str("2d".into())), Ok(172_800 * s));
        assert_eq!(d(Scalar::Int(5)), Ok(5 * s));
        assert_eq!(d(Scalar::Float(1.5)), Ok(s));
        assert_eq!(d(Scalar::Str(String::new())), Ok(0));
        assert!(d(Scalar::Str("1h\n".into())).is_err());
        assert!(d(Scalar::Str("1.5d".into())).is_err());
        assert!(d(Scalar::Str("5 minutes".into())).is_err());
        assert!(d(Scalar::Bool(true)).is_err());
        assert_eq!(duration_nanos(None), Ok(0));
    }

    #[test]
    fn rfc3339_and_epoch_times() {
        assert_eq!(
            absolute_time_nanos("1970-01-02T00:00:00Z"),
            Some(86_400 * 1_000_000_000)
        );
        assert_eq!(
            absolute_time_nanos("1970-01-01T01:00:00.5+01:00"),
            Some(500_000_000)
        );
        assert_eq!(
            absolute_time_nanos("2006-01-02T15:04:05Z"),
            Some(1_136_214_245 * 1_000_000_000)
        );
        assert_eq!(absolute_time_nanos("100"), Some(100 * 1_000_000_000));
        assert_eq!(absolute_time_nanos("2023-02-30T00:00:00Z"), None);
        assert_eq!(absolute_time_nanos("tomorrow"), None);
    }
}
