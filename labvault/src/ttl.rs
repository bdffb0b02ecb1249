//! Durations as Vault reads and writes them, and timestamps.

use chrono::{DateTime, SecondsFormat, Utc};

/// Vault's system default and maximum lease TTL: 768h (32 days).
pub const SYSTEM_DEFAULT_TTL: u64 = 768 * 3600;
pub const SYSTEM_MAX_TTL: u64 = 768 * 3600;

/// Parses a duration as Vault accepts it (seconds, or Go's syntax with days).
pub use vaultdeck_durations::parse_seconds as parse_duration;

/// Seconds since the Unix epoch.
pub fn now_unix() -> i64 {
    Utc::now().timestamp()
}

/// RFC 3339 with nanoseconds, as Vault writes `created_time` and friends.
pub fn rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

pub fn rfc3339_of_unix(seconds: i64) -> String {
    rfc3339(DateTime::from_timestamp(seconds, 0).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("300").unwrap(), 300);
        assert_eq!(parse_duration("90s").unwrap(), 90);
        assert_eq!(parse_duration("1h30m").unwrap(), 5400);
        assert_eq!(parse_duration("768h").unwrap(), SYSTEM_MAX_TTL);
        assert_eq!(parse_duration("1.5h").unwrap(), 5400);
        assert!(parse_duration("1x").is_err());
        assert!(parse_duration("h").is_err());
    }
}

/// Go's `Duration.String()` for whole seconds: `"0s"`, `"1h0m0s"`, `"3h25m19s"`, `"90s"` → `"1m30s"`.
pub fn go_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s}s"),
        (0, _) => format!("{m}m{s}s"),
        _ => format!("{h}h{m}m{s}s"),
    }
}

/// The SDK's `humanDuration` (sdk/framework/lease.go), which Vault's TTL warnings use:
/// Go's `Duration.String()` without zero minutes and seconds: `"2h"`, `"1h30m"`, `"59m59s"`.
pub fn human_duration(seconds: u64) -> String {
    let text = go_duration(seconds);
    let text = match text.strip_suffix("m0s") {
        Some(head) if seconds != 0 => format!("{head}m"),
        _ => text,
    };
    text.replacen("h0m", "h", 1)
}

#[cfg(test)]
mod go_duration_tests {
    #[test]
    fn drops_zero_units_like_the_sdk() {
        assert_eq!(super::human_duration(0), "0s");
        assert_eq!(super::human_duration(7200), "2h");
        assert_eq!(super::human_duration(5400), "1h30m");
        assert_eq!(super::human_duration(3599), "59m59s");
        assert_eq!(super::human_duration(3605), "1h5s");
    }

    #[test]
    fn formats_like_go() {
        assert_eq!(super::go_duration(0), "0s");
        assert_eq!(super::go_duration(90), "1m30s");
        assert_eq!(super::go_duration(3600), "1h0m0s");
        assert_eq!(super::go_duration(12319), "3h25m19s");
    }
}
