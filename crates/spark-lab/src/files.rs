//! Folders and files for Spark's file sources and sinks.

use crate::LabError;
use std::path::{Path, PathBuf};

/// Makes `folder` a new, empty folder (removing what an earlier run of the cell left there, a
/// checkpoint included) and returns its absolute path, as Spark needs it: the server does not
/// run in the notebook's folder.
///
/// ```
/// let folder = spark_lab::fresh_folder(std::env::temp_dir().join("spark-lab-doc-fresh"))?;
/// std::fs::write(format!("{folder}/old.txt"), "left by an earlier run")?;
/// let again = spark_lab::fresh_folder(&folder)?;
/// assert_eq!(std::fs::read_dir(&again)?.count(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn fresh_folder(folder: impl AsRef<Path>) -> Result<String, LabError> {
    let folder = folder.as_ref();
    let fail = |e: std::io::Error| LabError::new(format!("dossier {} : {e}", folder.display()));
    match std::fs::remove_dir_all(folder) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(fail(e)),
    }
    std::fs::create_dir_all(folder).map_err(fail)?;
    let absolute = std::fs::canonicalize(folder).map_err(fail)?;
    Ok(absolute.to_string_lossy().into_owned())
}

/// Copies `file` into `folder` the way a file should arrive in a folder that a streaming query
/// reads: under a hidden name first (Spark's file source skips names that start with `.` or
/// `_`), then renamed, so that Spark never reads it half-written. Returns the new file's path.
///
/// ```
/// let folder = spark_lab::fresh_folder(std::env::temp_dir().join("spark-lab-doc-deliver"))?;
/// let source = std::env::temp_dir().join("spark-lab-doc-events.csv");
/// std::fs::write(&source, "2026-12-01 10:00:01,spark\n")?;
/// let arrived = spark_lab::deliver(&source, &folder)?;
/// assert_eq!(std::fs::read_to_string(arrived)?, "2026-12-01 10:00:01,spark\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn deliver(file: impl AsRef<Path>, folder: impl AsRef<Path>) -> Result<PathBuf, LabError> {
    let (file, folder) = (file.as_ref(), folder.as_ref());
    let name = file
        .file_name()
        .ok_or_else(|| LabError::new(format!("{} n'a pas de nom de fichier", file.display())))?;
    let hidden = folder.join(format!(".{}.tmp", name.to_string_lossy()));
    let target = folder.join(name);
    let fail = |e: std::io::Error| {
        LabError::new(format!("copie de {} dans {} : {e}", file.display(), folder.display()))
    };
    std::fs::copy(file, &hidden).map_err(fail)?;
    std::fs::rename(&hidden, &target).map_err(fail)?;
    Ok(target)
}
