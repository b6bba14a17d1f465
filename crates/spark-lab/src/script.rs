//! Running the project's `scripts/spark` from a notebook cell.

use crate::LabError;
use std::path::PathBuf;
use std::process::Command;

/// The project's `scripts/spark`, found from this crate's own folder (so that it does not
/// depend on the notebook's working folder).
fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../scripts/spark")
}

/// Runs `scripts/spark` with `arguments` (`start`, `start --cluster`, `status`, `stop`,
/// `ready`), prints what it says, and fails with its error output if it fails: what a notebook
/// cell does instead of a terminal.
///
/// ```no_run
/// spark_lab::spark_script(&["start"])?; // the Connect server on 127.0.0.1:15002
/// # Ok::<(), spark_lab::LabError>(())
/// ```
pub fn spark_script(arguments: &[&str]) -> Result<(), LabError> {
    print!("{}", spark_script_output(arguments)?);
    Ok(())
}

/// What `scripts/spark` with `arguments` prints, or an error with its error output if it fails.
pub(crate) fn spark_script_output(arguments: &[&str]) -> Result<String, LabError> {
    let path = script();
    let out = Command::new(&path)
        .args(arguments)
        .output()
        .map_err(|e| LabError::new(format!("impossible de lancer {} : {e}", path.display())))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(LabError::new(format!(
            "scripts/spark {} a échoué : {}",
            arguments.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        )))
    }
}
