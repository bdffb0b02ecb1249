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

/// A folder's keys, shared by every page cut from them.
type Keys = Arc<Vec<String>>;

#[derive(Default)]
pub struct ListingCache {
    entries: Mutex<HashMap<String, (Instant, Keys)>>,
}

impl ListingCache {
    pub fn get(&self, key: &str) -> Option<Keys> {
        let entries = self.entries.lock();
        entries
            .get(key)
            .filter(|(at, _)| at.elapsed() < KEEP_FOR)
            .map(|(_, keys)| keys.clone())
    }

    pub fn put(&self, key: String, keys: Keys) {
        let mut entries = self.entries.lock();
        entries.retain(|_, (at, _)| at.elapsed() < KEEP_FOR);
        if entries.len() >= MAX_LISTINGS {
            if let Some(oldest) = entries
                .iter()
                .min_by_key(|(_, (at, _))| *at)
                .map(|(k, _)| k.clone())
            {
                entries.remove(&oldest);
            }
        }
        entries.insert(key, (Instant::now(), keys));
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
        assert!(cache.entries.lock().len() <= MAX_LISTINGS);
        assert!(cache.get(&format!("k{}", MAX_LISTINGS + 4)).is_some());
    }
}
