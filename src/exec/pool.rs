//! Keeps one read-only executor per target database for a batch of work on one thread.

use super::{ExecError, Executor, Limits};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

pub struct ExecPool {
    limits: Limits,
    open: HashMap<PathBuf, Executor>,
}

impl ExecPool {
    pub fn new(limits: Limits) -> Self {
        ExecPool {
            limits,
            open: HashMap::new(),
        }
    }

    pub fn get(&mut self, path: &Path) -> Result<&Executor, ExecError> {
        if !self.open.contains_key(path) {
            let ex = Executor::open(path, self.limits)?;
            self.open.insert(path.to_path_buf(), ex);
        }
        Ok(&self.open[path])
    }
}
