//! Vault's policy path patterns: exact paths, a `*` at the end (a prefix glob, which may end
//! in the middle of a segment), and `+` standing for exactly one path segment.

use std::cmp::Ordering;

/// Whether `pattern` is a glob or wildcard pattern rather than an exact path.
pub fn is_exact(pattern: &str) -> bool {
    !pattern.ends_with('*') && !pattern.split('/').any(|s| s == "+")
}

/// Whether a glob or wildcard `pattern` matches `path`.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let (stem, glob) = match pattern.strip_suffix('*') {
        Some(stem) => (stem, true),
        None => (pattern, false),
    };
    if !stem.split('/').any(|s| s == "+") {
        return if glob {
            path.starts_with(stem)
        } else {
            path == stem
        };
    }
    let stem_segments: Vec<&str> = stem.split('/').collect();
    let path_segments: Vec<&str> = path.split('/').collect();
    if path_segments.len() < stem_segments.len()
        || (!glob && path_segments.len() != stem_segments.len())
    {
        return false;
    }
    let last = stem_segments.len() - 1;
    stem_segments.iter().enumerate().all(|(i, segment)| {
        let candidate = path_segments[i];
        match *segment {
            "+" => true,
            // With a glob, the last segment of the stem only has to start the path's segment.
            literal if glob && i == last => candidate.starts_with(literal),
            literal => candidate == literal,
        }
    })
}

/// Vault's documented priority between two matching non-exact patterns: `Greater` when
/// `a` wins. In order: the later first `+`/`*` wins; not ending in `*` wins; fewer `+`
/// segments win; longer wins; lexicographically greater wins.
pub fn higher_priority(a: &str, b: &str) -> Ordering {
    first_wildcard(a)
        .cmp(&first_wildcard(b))
        .then_with(|| b.ends_with('*').cmp(&a.ends_with('*')))
        .then_with(|| plus_segments(b).cmp(&plus_segments(a)))
        .then_with(|| a.len().cmp(&b.len()))
        .then_with(|| a.cmp(b))
}

fn first_wildcard(pattern: &str) -> usize {
    let glob = pattern.find('*').unwrap_or(usize::MAX);
    let plus = plus_positions(pattern).next().unwrap_or(usize::MAX);
    glob.min(plus)
}

fn plus_segments(pattern: &str) -> usize {
    plus_positions(pattern).count()
}

/// Byte offsets of `+` segments.
fn plus_positions(pattern: &str) -> impl Iterator<Item = usize> + '_ {
    let mut offset = 0;
    pattern.split('/').filter_map(move |segment| {
        let at = offset;
        offset += segment.len() + 1;
        (segment == "+").then_some(at)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_prefixes_even_inside_a_segment() {
        assert!(pattern_matches("secret/*", "secret/a/b"));
        assert!(pattern_matches("secret/*", "secret/"));
        assert!(pattern_matches("secret/fo*", "secret/foo/bar"));
        assert!(!pattern_matches("secret/fo*", "secret/bar"));
        assert!(!pattern_matches("secret/*", "secret"));
    }

    #[test]
    fn plus_matches_exactly_one_segment() {
        assert!(pattern_matches("secret/+/config", "secret/app/config"));
        assert!(!pattern_matches("secret/+/config", "secret/a/b/config"));
        assert!(!pattern_matches("secret/+/config", "secret/app/config/x"));
        assert!(pattern_matches("secret/+/conf*", "secret/app/config/x"));
        assert!(pattern_matches("kv/data/+/+", "kv/data/team/app"));
        assert!(!pattern_matches("kv/data/+/+", "kv/data/team"));
    }

    #[test]
    fn priority_follows_vaults_documented_rules() {
        // 1. The first wildcard later wins.
        assert_eq!(higher_priority("secret/a/*", "secret/*"), Ordering::Greater);
        assert_eq!(higher_priority("secret/+/b", "secret/a/+"), Ordering::Less);
        // 2. Not ending in * wins over ending in *.
        assert_eq!(
            higher_priority("secret/+/x", "secret/+/x*"),
            Ordering::Greater
        );
        // 3. Fewer + segments win.
        assert_eq!(higher_priority("a/+/c/d", "a/+/+/d"), Ordering::Greater);
        // 4. Longer wins.
        assert_eq!(higher_priority("a/+/ccc", "a/+/cc"), Ordering::Greater);
        // 5. Lexicographically greater wins.
        assert_eq!(higher_priority("a/+/b", "a/+/a"), Ordering::Greater);
    }

    #[test]
    fn exactness() {
        assert!(is_exact("secret/foo"));
        assert!(is_exact("secret/fo+o"));
        assert!(!is_exact("secret/+/foo"));
        assert!(!is_exact("secret/*"));
    }
}
