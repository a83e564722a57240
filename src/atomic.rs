//! Files are written to a temporary name beside the target and renamed, so a crash never
//! leaves a half-written export or checkpoint.

use std::io::Write;
use std::path::{Path, PathBuf};

pub fn temp_path(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(format!(".{}.sense-tmp", std::process::id()));
    path.with_file_name(name)
}

/// Writes `bytes` to `path` atomically (temp file, fsync, rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = temp_path(path);
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// JSON Lines written record by record to a temporary file that becomes `path` on `finish`:
/// an export never holds its records in memory, and a failure leaves no partial file. Nothing
/// is created until the first record, so an empty export writes no file.
pub struct JsonlWriter {
    path: PathBuf,
    tmp: PathBuf,
    out: Option<std::io::BufWriter<std::fs::File>>,
    pub records: usize,
}

impl JsonlWriter {
    pub fn new(path: &Path) -> JsonlWriter {
        JsonlWriter {
            path: path.to_path_buf(),
            tmp: temp_path(path),
            out: None,
            records: 0,
        }
    }

    pub fn write(&mut self, record: &serde_json::Value) -> std::io::Result<()> {
        if self.out.is_none() {
            if let Some(dir) = self.path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            self.out = Some(std::io::BufWriter::new(std::fs::File::create(&self.tmp)?));
        }
        if let Some(out) = self.out.as_mut() {
            serde_json::to_writer(&mut *out, record)?;
            out.write_all(b"\n")?;
        }
        self.records += 1;
        Ok(())
    }

    /// Flushes, syncs and renames into place; returns the records written.
    pub fn finish(mut self) -> std::io::Result<usize> {
        if let Some(out) = self.out.take() {
            let res = (|| {
                let f = out.into_inner().map_err(|e| e.into_error())?;
                f.sync_all()?;
                std::fs::rename(&self.tmp, &self.path)
            })();
            if res.is_err() {
                let _ = std::fs::remove_file(&self.tmp);
            }
            res?;
        }
        Ok(self.records)
    }
}

impl Drop for JsonlWriter {
    fn drop(&mut self) {
        // Not finished (an error on the way): no partial file is left behind.
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}
