//! Physical storage: where (encrypted) entries are kept. Keys are `/`-separated paths;
//! listing a prefix ending in `/` gives its immediate children, folders ending in `/`.

mod file;
mod memory;

pub use file::FileStorage;
pub use memory::MemoryStorage;

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("storage I/O error at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("storage entry {key:?} is corrupt or truncated: {reason}")]
    Corrupt { key: String, reason: String },
    /// A key segment too long to be a file name (directory storage only, as with Vault's
    /// `file` backend).
    #[error("a name is too long to store: at most {max} bytes per path segment once encoded, this one has {length}")]
    NameTooLong { length: usize, max: usize },
}

pub type StorageResult<T> = Result<T, StorageError>;

/// A physical storage backend. Values are opaque bytes (the barrier encrypts them).
pub trait Physical: Send + Sync {
    fn get(&self, key: &str) -> StorageResult<Option<Vec<u8>>>;
    /// Writes the whole value; an interrupted write leaves the previous value intact.
    fn put(&self, key: &str, value: &[u8]) -> StorageResult<()>;
    fn delete(&self, key: &str) -> StorageResult<()>;
    /// Immediate children of `prefix` (which is empty or ends in `/`), sorted; folders end in `/`.
    fn list(&self, prefix: &str) -> StorageResult<Vec<String>>;
}

#[cfg(test)]
pub(crate) mod contract {
    //! The behaviour every backend must have, run against each of them.
    use super::Physical;

    pub fn check(storage: &dyn Physical) {
        assert_eq!(storage.get("a/b").unwrap(), None);
        storage.put("a/b", b"one").unwrap();
        storage.put("a/c/d", b"two").unwrap();
        storage.put("a", b"leaf and folder").unwrap();
        storage.put("z", b"top").unwrap();
        assert_eq!(storage.get("a/b").unwrap().as_deref(), Some(&b"one"[..]));
        assert_eq!(storage.list("").unwrap(), vec!["a", "a/", "z"]);
        assert_eq!(storage.list("a/").unwrap(), vec!["b", "c/"]);
        storage.put("a/b", b"replaced").unwrap();
        assert_eq!(
            storage.get("a/b").unwrap().as_deref(),
            Some(&b"replaced"[..])
        );
        storage.delete("a/c/d").unwrap();
        assert_eq!(
            storage.list("a/").unwrap(),
            vec!["b"],
            "empty folders disappear"
        );
        storage.delete("missing").unwrap();
        let odd = "we ird/k%y/.hidden/ünï";
        storage.put(odd, b"x").unwrap();
        assert_eq!(storage.get(odd).unwrap().as_deref(), Some(&b"x"[..]));
        assert_eq!(storage.list("we ird/k%y/").unwrap(), vec![".hidden/"]);
    }
}
