//! In-memory storage, for tests and throwaway labs: gone when the process ends.

use super::{Physical, StorageResult};
use parking_lot::RwLock;
use std::collections::BTreeMap;

#[derive(Default)]
pub struct MemoryStorage {
    entries: RwLock<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStorage {
    pub fn new() -> Self {
        Self::default()
    }
}

impl Physical for MemoryStorage {
    fn get(&self, key: &str) -> StorageResult<Option<Vec<u8>>> {
        Ok(self.entries.read().get(key).cloned())
    }

    fn put(&self, key: &str, value: &[u8]) -> StorageResult<()> {
        self.entries.write().insert(key.to_string(), value.to_vec());
        Ok(())
    }

    fn delete(&self, key: &str) -> StorageResult<()> {
        self.entries.write().remove(key);
        Ok(())
    }

    fn list(&self, prefix: &str) -> StorageResult<Vec<String>> {
        let entries = self.entries.read();
        let mut children: Vec<String> = Vec::new();
        for key in entries.range(prefix.to_string()..).map(|(k, _)| k) {
            let Some(rest) = key.strip_prefix(prefix) else {
                break;
            };
            let child = match rest.find('/') {
                Some(slash) => &rest[..=slash],
                None => rest,
            };
            if children.last().map(String::as_str) != Some(child) {
                children.push(child.to_string());
            }
        }
        children.sort();
        children.dedup();
        Ok(children)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn follows_the_storage_contract() {
        super::super::contract::check(&super::MemoryStorage::new());
    }
}
