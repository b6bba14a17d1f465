//! `LabError`: what went wrong, in French, and what to do.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// An error of the lab's Spark helpers. Its message is in French (students read it in the
/// notebook) and says what to do; the client's own error, when there is one, is its
/// [`source`](std::error::Error::source).
///
/// ```
/// use spark_lab::LabError;
/// let e = LabError::new("la requête s'est arrêtée");
/// assert_eq!(e.to_string(), "la requête s'est arrêtée");
/// ```
pub struct LabError {
    message: String,
    // Boxed: the client's error is large, and a `Result` carries its error inline.
    source: Option<Box<spark_connect::SparkError>>,
    /// The message was formatted: it is being shown (see the `Drop` impl).
    shown: AtomicBool,
}

impl LabError {
    /// An error with this message and no underlying cause.
    pub fn new(message: impl Into<String>) -> Self {
        LabError { message: message.into(), source: None, shown: AtomicBool::new(false) }
    }

    pub(crate) fn with_source(message: impl Into<String>, source: spark_connect::SparkError) -> Self {
        LabError { message: message.into(), source: Some(Box::new(source)), shown: AtomicBool::new(false) }
    }

    fn write_to(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.shown.store(true, Ordering::Relaxed);
        f.write_str(&self.message)
    }
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

// evcxr shows a cell's error with `Debug`: the same sentence, not a struct dump.
impl fmt::Debug for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// How long a shown error waits, as it is dropped in a notebook, for evcxr to pass its message on.
const STDERR_GRACE: Duration = Duration::from_millis(100);

/// In a notebook, a cell's error reaches the student through stderr: evcxr writes it there
/// when `?` returns it (`eprintln!`) or when `expect` panics with it, then drops the error and
/// ends the cell. evcxr forwards stderr from a thread of its own and marks nothing at the end of
/// a cell (evcxr/evcxr#353), so a message written just before the cell ends is sometimes sent
/// after the kernel has said the cell is done, and then no client shows it. A shown error
/// therefore waits a moment when it is dropped inside evcxr (which sets `EVCXR_IS_RUNTIME` in
/// the process that runs cells): the message is on its way before the cell ends. Elsewhere, and
/// for an error nobody formatted, dropping costs nothing.
impl Drop for LabError {
    fn drop(&mut self) {
        let grace = self.grace(std::env::var_os("EVCXR_IS_RUNTIME").is_some());
        if !grace.is_zero() {
            std::thread::sleep(grace);
        }
    }
}

impl LabError {
    /// How long dropping this error waits (see the `Drop` impl).
    fn grace(&mut self, in_evcxr: bool) -> Duration {
        if in_evcxr && *self.shown.get_mut() { STDERR_GRACE } else { Duration::ZERO }
    }
}

impl std::error::Error for LabError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

/// A client error met on the way: its message, prefixed with what the lab was doing.
impl From<spark_connect::SparkError> for LabError {
    fn from(e: spark_connect::SparkError) -> Self {
        LabError::with_source(format!("erreur de Spark : {e}"), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_shown_error_waits_for_its_message_and_only_in_a_notebook() {
        let mut quiet = LabError::new("personne ne l'a lu");
        assert_eq!(quiet.grace(true), Duration::ZERO);
        let mut by_question_mark = LabError::new("le serveur ne répond pas");
        let _ = format!("{by_question_mark:?}"); // what evcxr does with `?`
        assert_eq!(by_question_mark.grace(true), STDERR_GRACE);
        assert_eq!(by_question_mark.grace(false), Duration::ZERO);
        let mut by_display = LabError::new("pas de colonne « count »");
        let _ = by_display.to_string();
        assert_eq!(by_display.grace(true), STDERR_GRACE);
    }
}
