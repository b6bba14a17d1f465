//! File-system helpers shared by checkpoints and saved batches: creating folders with an error
//! that names the culprit, and making a folder's entries durable.

use crate::error::{Error, Result};
use std::path::Path;

/// Creates `dir` and its missing parents. When a component of the path is a file, the error
/// says which one (the system only says "File exists" or "Not a directory").
pub(crate) fn create_dirs(dir: &Path, what: &str) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| {
        let blocking = dir.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists() && !a.is_dir());
        match blocking {
            Some(file) => Error::io(
                format!(
                    "cannot create the {what} {}: {} is a file, not a folder; choose another path",
                    dir.display(),
                    file.display()
                ),
                e,
            ),
            None => Error::io(format!("cannot create the {what} {}", dir.display()), e),
        }
    })
}

/// Makes a folder's entries (created files, renames) durable.
pub(crate) fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_the_file_that_stands_in_the_way() {
        let base = std::env::temp_dir().join(format!("dstream-fs-{}", std::process::id()));
        std::fs::create_dir_all(&base).unwrap();
        std::fs::write(base.join("notes.txt"), "x").unwrap();
        let err = super::create_dirs(&base.join("notes.txt/ckpt/a"), "checkpoint directory").unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("{} is a file, not a folder", base.join("notes.txt").display())),
            "{err}"
        );
        std::fs::remove_dir_all(base).ok();
    }
}
