//! Reading a pasted JWT's claims for inspection, in the browser and without verifying it:
//! enough to see whose token it is, for which audience, and until when.

use serde_json::Value;

/// What a pasted JWT says about itself.
#[derive(Clone, Debug, PartialEq)]
pub struct Claims {
    pub algorithm: String,
    /// `(claim, value as text)`, in the token's order of importance for a reviewer.
    pub rows: Vec<(String, String)>,
}

/// Decodes the header and payload of a compact JWT; `Err` says why it is not one.
pub fn decode(token: &str) -> Result<Claims, String> {
    let token = token.trim();
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err("This is not a JWT: it should have three parts separated by dots.".into());
    }
    let header = json_part(parts[0]).map_err(|e| format!("The JWT's header {e}"))?;
    let payload = json_part(parts[1]).map_err(|e| format!("The JWT's claims {e}"))?;
    let mut rows = Vec::new();
    for key in ["iss", "sub", "aud"] {
        if let Some(value) = payload.get(key) {
            rows.push((key.to_string(), text_of(value)));
        }
    }
    // Service account tokens say whose they are in a `kubernetes.io` claim.
    let k8s = &payload["kubernetes.io"];
    if let Some(namespace) = k8s["namespace"].as_str() {
        rows.push(("namespace".into(), namespace.into()));
    }
    if let Some(account) = k8s["serviceaccount"]["name"].as_str() {
        rows.push(("service account".into(), account.into()));
    }
    for key in ["iat", "nbf", "exp"] {
        if let Some(seconds) = payload.get(key).and_then(Value::as_f64) {
            rows.push((key.to_string(), utc_text(seconds)));
        }
    }
    if !payload.as_object().is_some_and(|o| o.contains_key("exp")) {
        rows.push(("exp".into(), "none: this token does not expire".into()));
    }
    Ok(Claims {
        algorithm: header["alg"].as_str().unwrap_or("none").to_string(),
        rows,
    })
}

fn json_part(part: &str) -> Result<Value, String> {
    let bytes = base64url(part).ok_or("is not base64url.")?;
    serde_json::from_slice(&bytes).map_err(|_| "is not JSON.".to_string())
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// Unpadded (or padded) base64url.
fn base64url(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' | b'+' => 62,
            b'_' | b'/' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// Seconds since 1970 as `2026-11-23 10:00:00 UTC`.
fn utc_text(seconds: f64) -> String {
    let seconds = seconds as i64;
    let (days, rest) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(json: &str) -> String {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in json.as_bytes().chunks(3) {
            let n = chunk.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b))
                << (8 * (3 - chunk.len()));
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn a_service_account_token_shows_whose_it_is() {
        let header = encode(r#"{"alg":"RS256","kid":"x"}"#);
        let payload = encode(
            r#"{"aud":["https://kubernetes.default.svc"],"exp":1795435200,"iat":1795431600,"iss":"https://kubernetes.default.svc","kubernetes.io":{"namespace":"vault","serviceaccount":{"name":"vault","uid":"u"}},"sub":"system:serviceaccount:vault:vault"}"#,
        );
        let claims = decode(&format!("{header}.{payload}.c2ln")).unwrap();
        assert_eq!(claims.algorithm, "RS256");
        let find = |k: &str| {
            claims
                .rows
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(find("sub").unwrap(), "system:serviceaccount:vault:vault");
        assert_eq!(find("aud").unwrap(), "https://kubernetes.default.svc");
        assert_eq!(find("namespace").unwrap(), "vault");
        assert_eq!(find("service account").unwrap(), "vault");
        assert_eq!(find("exp").unwrap(), "2026-11-23 12:00:00 UTC");
    }

    #[test]
    fn legacy_tokens_without_exp_say_so() {
        let token = format!(
            "{}.{}.",
            encode(r#"{"alg":"RS256"}"#),
            encode(r#"{"sub":"x"}"#)
        );
        let claims = decode(&token).unwrap();
        assert!(claims
            .rows
            .iter()
            .any(|(k, v)| k == "exp" && v.starts_with("none")));
    }

    #[test]
    fn garbage_is_named() {
        assert!(decode("not a jwt").unwrap_err().contains("three parts"));
        assert!(decode("a.b.c").unwrap_err().contains("header"));
        assert_eq!(utc_text(0.0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc_text(951_782_400.0), "2000-02-29 00:00:00 UTC");
    }
}
