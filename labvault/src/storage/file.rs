//! Storage in a directory, one file per entry, laid out like Vault's file backend: the key
//! `a/b/c` is the file `a/b/_c`, so a key can be both an entry and a folder. Segments are
//! percent-encoded where the file system could misread them. Writes go to a temporary file
//! that is synced and renamed over the old one: an interrupted write leaves the old value.

use super::{Physical, StorageError, StorageResult};
use std::{
    fs, io,
    io::Write,
    path::{Path, PathBuf},
};

pub struct FileStorage {
    root: PathBuf,
}

const TEMP_MARKER: &str = ".tmp-";

impl FileStorage {
    pub fn open(root: impl Into<PathBuf>) -> StorageResult<Self> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|source| StorageError::Io {
            path: root.clone(),
            source,
        })?;
        Ok(FileStorage { root })
    }

    fn folder_of(&self, segments: &[&str]) -> StorageResult<PathBuf> {
        let mut dir = self.root.clone();
        for segment in segments {
            dir.push(file_name(segment)?);
        }
        Ok(dir)
    }

    fn file_of(&self, key: &str) -> StorageResult<PathBuf> {
        let segments: Vec<&str> = key.split('/').collect();
        let (name, folders) = segments
            .split_last()
            .expect("split yields at least one segment");
        Ok(self
            .folder_of(folders)?
            .join(format!("_{}", file_name(name)?)))
    }

    /// Removes now-empty folders from `dir` up to (not including) the root.
    fn prune_empty_folders(&self, mut dir: &Path) {
        while dir != self.root && fs::remove_dir(dir).is_ok() {
            match dir.parent() {
                Some(parent) => dir = parent,
                None => break,
            }
        }
    }
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> StorageError + '_ {
    move |source| StorageError::Io {
        path: path.to_path_buf(),
        source,
    }
}

impl Physical for FileStorage {
    fn get(&self, key: &str) -> StorageResult<Option<Vec<u8>>> {
        let path = self.file_of(key)?;
        match fs::read(&path) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_error(&path)(e)),
        }
    }

    fn put(&self, key: &str, value: &[u8]) -> StorageResult<()> {
        let path = self.file_of(key)?;
        let dir = path.parent().expect("entries live in a folder");
        fs::create_dir_all(dir).map_err(io_error(dir))?;
        let temp = dir.join(format!("{TEMP_MARKER}{:016x}", rand::random::<u64>()));
        let written = (|| {
            let mut file = fs::File::create(&temp)?;
            file.write_all(value)?;
            file.sync_all()?;
            fs::rename(&temp, &path)?;
            // Make the rename itself durable.
            fs::File::open(dir)?.sync_all()
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written.map_err(io_error(&path))
    }

    fn delete(&self, key: &str) -> StorageResult<()> {
        let path = self.file_of(key)?;
        match fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error(&path)(e)),
        }
        if let Some(dir) = path.parent() {
            self.prune_empty_folders(dir);
        }
        Ok(())
    }

    fn list(&self, prefix: &str) -> StorageResult<Vec<String>> {
        let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
        let dir = self.folder_of(&segments)?;
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error(&dir)(e)),
        };
        let mut children = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error(&dir))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with(TEMP_MARKER) {
                continue;
            }
            let is_dir = entry.file_type().map_err(io_error(&dir))?.is_dir();
            match (is_dir, name.strip_prefix('_')) {
                (true, _) => children.push(format!("{}/", decode_segment(&name))),
                (false, Some(file)) => children.push(decode_segment(file)),
                (false, None) => {}
            }
        }
        children.sort();
        Ok(children)
    }
}

/// The longest file name this storage writes: 255 is the usual limit, less the `_` that
/// marks an entry and room for the temporary files' names.
const MAX_FILE_NAME: usize = 240;

/// A segment as a file name, if it fits.
fn file_name(segment: &str) -> StorageResult<String> {
    let encoded = encode_segment(segment);
    if encoded.len() > MAX_FILE_NAME {
        return Err(StorageError::NameTooLong {
            length: encoded.len(),
            max: MAX_FILE_NAME,
        });
    }
    Ok(encoded)
}

/// Percent-encodes what a file name must not contain or start with: `/`, `%`, control
/// characters, a leading `.` or `_`, and anything outside printable ASCII.
fn encode_segment(segment: &str) -> String {
    let mut encoded = String::with_capacity(segment.len());
    for (i, byte) in segment.bytes().enumerate() {
        let plain = byte.is_ascii_graphic()
            && byte != b'%'
            && byte != b'/'
            && byte != b'\\'
            && !(i == 0 && (byte == b'.' || byte == b'_'));
        if plain {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn decode_segment(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 3 <= bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(byte) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                decoded.push(byte);
                i += 3;
                continue;
            }
        }
        decoded.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_storage_contract() {
        let dir = tempfile::tempdir().unwrap();
        super::super::contract::check(&FileStorage::open(dir.path()).unwrap());
    }

    #[test]
    fn survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        FileStorage::open(dir.path())
            .unwrap()
            .put("x/y", b"kept")
            .unwrap();
        let reopened = FileStorage::open(dir.path()).unwrap();
        assert_eq!(reopened.get("x/y").unwrap().as_deref(), Some(&b"kept"[..]));
    }

    #[test]
    fn an_interrupted_write_leaves_the_old_value_and_is_not_listed() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FileStorage::open(dir.path()).unwrap();
        storage.put("k", b"old").unwrap();
        // What a crash between create and rename leaves behind.
        fs::write(dir.path().join(format!("{TEMP_MARKER}abc")), b"half").unwrap();
        assert_eq!(storage.get("k").unwrap().as_deref(), Some(&b"old"[..]));
        assert_eq!(storage.list("").unwrap(), vec!["k"]);
    }

    #[test]
    fn a_name_too_long_for_a_file_is_refused_without_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let storage = FileStorage::open(dir.path()).unwrap();
        let key = format!("users/{}", "a".repeat(5000));
        let error = storage.put(&key, b"x").unwrap_err();
        assert!(matches!(error, StorageError::NameTooLong { .. }), "{error}");
        assert!(!error.to_string().contains(&*dir.path().to_string_lossy()));
        assert!(storage.get(&key).is_err());
    }

    #[test]
    fn segments_round_trip() {
        for s in [
            "plain",
            ".hidden",
            "_under",
            "a b",
            "100%",
            "ünï",
            "back\\slash",
        ] {
            assert_eq!(decode_segment(&encode_segment(s)), s);
        }
    }
}
