//! Big LISTs, made small for the browser: Vault is asked once per session and path, the
//! answer is kept briefly, sorted with folders first, filtered here, and served in pages.

use parking_lot::Mutex;
use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};
pub use vaultdeck_app::wire::listing::Match;

/// How long a listing is reused before Vault is asked again.
pub const KEEP_FOR: Duration = Duration::from_secs(30);
/// How many listings are kept at once (oldest dropped first).
const MAX_LISTINGS: usize = 64;
/// How many keys all kept listings hold together (oldest dropped first; a listing larger
/// than this is served, not kept): a count of listings alone let one user fill memory with
/// 64 copies of a 2-million-key folder.
const MAX_KEYS_HELD: usize = 1_000_000;

/// A folder's keys, shared by every page cut from them.
type Keys = Arc<Vec<String>>;

#[derive(Default)]
pub struct ListingCache {
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    by_key: HashMap<String, (Instant, Keys)>,
    /// The keys of every listing in `by_key`, together.
    held: usize,
}

impl Entries {
    fn remove(&mut self, key: &str) {
        if let Some((_, keys)) = self.by_key.remove(key) {
            self.held -= keys.len();
        }
    }

    fn drop_expired(&mut self) {
        let expired: Vec<String> = self
            .by_key
            .iter()
            .filter(|(_, (at, _))| at.elapsed() >= KEEP_FOR)
            .map(|(key, _)| key.clone())
            .collect();
        for key in expired {
            self.remove(&key);
        }
    }

    fn drop_oldest(&mut self) {
        let oldest = self
            .by_key
            .iter()
            .min_by_key(|(_, (at, _))| *at)
            .map(|(key, _)| key.clone());
        if let Some(oldest) = oldest {
            self.remove(&oldest);
        }
    }
}

impl ListingCache {
    pub fn get(&self, key: &str) -> Option<Keys> {
        let entries = self.entries.lock();
        entries
            .by_key
            .get(key)
            .filter(|(at, _)| at.elapsed() < KEEP_FOR)
            .map(|(_, keys)| keys.clone())
    }

    pub fn put(&self, key: String, keys: Keys) {
        if keys.len() > MAX_KEYS_HELD {
            return;
        }
        let mut entries = self.entries.lock();
        entries.remove(&key);
        entries.drop_expired();
        while entries.by_key.len() >= MAX_LISTINGS || entries.held + keys.len() > MAX_KEYS_HELD {
            entries.drop_oldest();
        }
        entries.held += keys.len();
        entries.by_key.insert(key, (Instant::now(), keys));
    }

    pub fn forget(&self, key: &str) {
        self.entries.lock().remove(key);
    }
}

/// Folders first, then secrets, each in Vault's (byte) order.
pub fn sort_folders_first(keys: &mut [String]) {
    keys.sort_unstable_by(|a, b| {
        b.ends_with('/')
            .cmp(&a.ends_with('/'))
            .then_with(|| a.cmp(b))
    });
}

/// The keys matching `filter` (case-insensitive), as indices into `keys`.
pub fn filtered<'k>(keys: &'k [String], filter: &str, how: Match) -> Vec<&'k str> {
    if filter.is_empty() {
        return keys.iter().map(String::as_str).collect();
    }
    let needle = filter.to_lowercase();
    keys.iter()
        .map(String::as_str)
        .filter(|key| {
            let key = key.to_lowercase();
            match how {
                Match::Prefix => key.starts_with(&needle),
                Match::Contains => key.contains(&needle),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(size: usize) -> Keys {
        Arc::new((0..size).map(|n| n.to_string()).collect())
    }

    #[test]
    fn the_keys_held_stay_bounded_oldest_dropped_first() {
        let cache = ListingCache::default();
        cache.put("a".into(), listing(MAX_KEYS_HELD / 2));
        cache.put("b".into(), listing(MAX_KEYS_HELD / 2));
        cache.put("c".into(), listing(10));
        assert!(cache.get("a").is_none(), "the oldest made room");
        assert!(cache.get("b").is_some() && cache.get("c").is_some());
        assert_eq!(cache.entries.lock().held, MAX_KEYS_HELD / 2 + 10);
        cache.put("c".into(), listing(20));
        assert_eq!(
            cache.entries.lock().held,
            MAX_KEYS_HELD / 2 + 20,
            "replaced, not added"
        );
        cache.put("huge".into(), listing(MAX_KEYS_HELD + 1));
        assert!(cache.get("huge").is_none() && cache.get("b").is_some());
    }

    #[test]
    fn folders_come_first() {
        let mut keys: Vec<String> = ["b", "a/", "c", "b/", "A"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        sort_folders_first(&mut keys);
        assert_eq!(keys, vec!["a/", "b/", "A", "b", "c"]);
    }

    #[test]
    fn filters_by_prefix_or_substring_ignoring_case() {
        let keys: Vec<String> = ["app-one", "App-two", "db", "my-app"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            filtered(&keys, "app", Match::Prefix),
            vec!["app-one", "App-two"]
        );
        assert_eq!(
            filtered(&keys, "APP", Match::Contains),
            vec!["app-one", "App-two", "my-app"]
        );
        assert_eq!(filtered(&keys, "", Match::Contains).len(), 4);
    }

    #[test]
    fn listings_expire_and_stay_bounded() {
        let cache = ListingCache::default();
        for i in 0..(MAX_LISTINGS + 5) {
            cache.put(format!("k{i}"), Arc::new(vec![]));
        }
        assert!(cache.entries.lock().by_key.len() <= MAX_LISTINGS);
        assert!(cache.get(&format!("k{}", MAX_LISTINGS + 4)).is_some());
    }
}
