//! Where the journal and snapshots live: a storage trait with the real file system behind it, and a
//! fault-injecting implementation for tests that keeps only what was synced.
//!
//! A plain `kill -9` keeps the page cache, so a journal that forgot to fsync would still pass a crash
//! test on the real file system. [`FaultyStorage`] models the disk instead: appended bytes stay
//! pending until `sync`, and [`FaultyStorage::crash`] throws pending bytes away (or leaves a torn
//! prefix of them), as a power cut would.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

/// Durable storage of files in directories.
pub trait Storage: Send + Sync + fmt::Debug + 'static {
    /// Creates a directory and its parents.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// The files of a directory, sorted by name; empty when it does not exist.
    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>>;
    /// The bytes of a file from `offset` to its end.
    fn read_from(&self, path: &Path, offset: u64) -> io::Result<Vec<u8>>;
    /// At most the first `len` bytes of a file.
    fn read_prefix(&self, path: &Path, len: usize) -> io::Result<Vec<u8>> {
        let mut bytes = self.read_from(path, 0)?;
        bytes.truncate(len);
        Ok(bytes)
    }
    /// Appends to a file, creating it if needed. Not durable until [`Storage::sync`].
    fn append(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Makes everything appended to the file durable, and the file's existence too.
    fn sync(&self, path: &Path) -> io::Result<()>;
    /// Cuts a file to `len` bytes, durably.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Writes a whole file durably and atomically: readers see the old file or the new, never a mix.
    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
}

/// The real file system.
#[derive(Debug, Default)]
pub struct FileStorage {
    /// Append handles kept open, and whether the file was created since its directory was synced.
    open: Mutex<HashMap<PathBuf, (File, bool)>>,
}

impl FileStorage {
    /// A file system storage.
    pub fn new() -> Self {
        Self::default()
    }

    fn handles(&self) -> MutexGuard<'_, HashMap<PathBuf, (File, bool)>> {
        // A panic while holding the lock leaves plain file handles behind; they are still usable.
        self.open.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn sync_dir(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

impl Storage for FileStorage {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        let mut files = match fs::read_dir(dir) {
            Ok(entries) => entries
                .filter_map(Result::ok)
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.path())
                .collect::<Vec<_>>(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        files.sort();
        Ok(files)
    }

    fn read_from(&self, path: &Path, offset: u64) -> io::Result<Vec<u8>> {
        let mut file = File::open(path)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn read_prefix(&self, path: &Path, len: usize) -> io::Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(len);
        File::open(path)?.take(len as u64).read_to_end(&mut bytes)?;
        Ok(bytes)
    }

    fn append(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut handles = self.handles();
        if !handles.contains_key(path) {
            let created = !path.exists();
            let file = OpenOptions::new().create(true).append(true).open(path)?;
            handles.insert(path.to_path_buf(), (file, created));
        }
        let (file, _) = handles.get_mut(path).ok_or_else(|| io::Error::other("handle vanished"))?;
        file.write_all(bytes)
    }

    fn sync(&self, path: &Path) -> io::Result<()> {
        let mut handles = self.handles();
        if let Some((file, created)) = handles.get_mut(path) {
            file.sync_data()?;
            if *created {
                sync_dir(path)?;
                *created = false;
            }
        }
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.handles().remove(path);
        let file = OpenOptions::new().write(true).open(path)?;
        file.set_len(len)?;
        file.sync_all()
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.handles().remove(path);
        fs::remove_file(path)?;
        sync_dir(path)
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let temp = path.with_extension("partial");
        {
            let mut file = File::create(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
        }
        fs::rename(&temp, path)?;
        sync_dir(path)
    }
}

#[derive(Debug, Default, Clone)]
struct FaultyFile {
    durable: Vec<u8>,
    pending: Vec<u8>,
}

/// An in-memory disk that loses whatever was not synced when it "crashes", and can be made to run
/// out of space or to fail its syncs.
#[derive(Debug, Default, Clone)]
pub struct FaultyStorage {
    files: Arc<Mutex<BTreeMap<PathBuf, FaultyFile>>>,
    faults: Arc<Mutex<Faults>>,
}

#[derive(Debug, Default)]
struct Faults {
    /// Bytes that may still be appended; none for a disk without limit.
    space: Option<usize>,
    /// Every sync fails, as on a device that reports an I/O error.
    syncs_fail: bool,
}

impl FaultyStorage {
    /// An empty disk.
    pub fn new() -> Self {
        Self::default()
    }

    fn files(&self) -> MutexGuard<'_, BTreeMap<PathBuf, FaultyFile>> {
        self.files.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A power cut: every byte appended since the file's last sync is lost, except, with `torn`,
    /// the first half of it, which stays as a torn write.
    pub fn crash(&self, torn: bool) {
        for file in self.files().values_mut() {
            let pending = std::mem::take(&mut file.pending);
            if torn {
                file.durable.extend_from_slice(&pending[..pending.len() / 2]);
            }
        }
    }

    /// Flips one durable byte of a file, as bit rot or tampering would.
    pub fn corrupt(&self, path: &Path, offset: usize) {
        self.flip(path, offset, 0x5a);
    }

    /// XORs one durable byte of a file with `mask`.
    pub fn flip(&self, path: &Path, offset: usize, mask: u8) {
        if let Some(byte) = self.files().get_mut(path).and_then(|f| f.durable.get_mut(offset)) {
            *byte ^= mask;
        }
    }

    /// Leaves `bytes` more bytes of room: an append that does not fit writes what fits and fails
    /// with "no space left", as a full disk does. `None` lifts the limit.
    pub fn set_space(&self, bytes: Option<usize>) {
        self.faults().space = bytes;
    }

    /// Makes every sync fail with an I/O error, or work again.
    pub fn fail_syncs(&self, fail: bool) {
        self.faults().syncs_fail = fail;
    }

    fn faults(&self) -> MutexGuard<'_, Faults> {
        self.faults.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Durable length of a file.
    pub fn durable_len(&self, path: &Path) -> usize {
        self.files().get(path).map_or(0, |f| f.durable.len())
    }
}

impl Storage for FaultyStorage {
    fn create_dir_all(&self, _dir: &Path) -> io::Result<()> {
        Ok(())
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<PathBuf>> {
        Ok(self.files().keys().filter(|p| p.parent() == Some(dir)).cloned().collect())
    }

    fn read_from(&self, path: &Path, offset: u64) -> io::Result<Vec<u8>> {
        let files = self.files();
        let file = files.get(path).ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        let mut all = file.durable.clone();
        all.extend_from_slice(&file.pending);
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(all.len());
        Ok(all[start..].to_vec())
    }

    fn append(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut faults = self.faults();
        let fits = faults.space.map_or(bytes.len(), |room| room.min(bytes.len()));
        if let Some(room) = faults.space.as_mut() {
            *room -= fits;
        }
        drop(faults);
        self.files()
            .entry(path.to_path_buf())
            .or_default()
            .pending
            .extend_from_slice(&bytes[..fits]);
        if fits < bytes.len() {
            return Err(io::Error::new(io::ErrorKind::StorageFull, "no space left on device"));
        }
        Ok(())
    }

    fn sync(&self, path: &Path) -> io::Result<()> {
        if self.faults().syncs_fail {
            return Err(io::Error::other("input/output error"));
        }
        if let Some(file) = self.files().get_mut(path) {
            let pending = std::mem::take(&mut file.pending);
            file.durable.extend_from_slice(&pending);
        }
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut files = self.files();
        let file = files.get_mut(path).ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))?;
        file.pending.clear();
        file.durable.truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.files().remove(path);
        Ok(())
    }

    fn write_atomic(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.files().insert(
            path.to_path_buf(),
            FaultyFile { durable: bytes.to_vec(), pending: Vec::new() },
        );
        Ok(())
    }
}
