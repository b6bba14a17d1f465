//! `LabError`: what went wrong, in French, and what to do.

use std::fmt;

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
}

impl LabError {
    /// An error with this message and no underlying cause.
    pub fn new(message: impl Into<String>) -> Self {
        LabError { message: message.into(), source: None }
    }

    pub(crate) fn with_source(message: impl Into<String>, source: spark_connect::SparkError) -> Self {
        LabError { message: message.into(), source: Some(Box::new(source)) }
    }
}

impl fmt::Display for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

// evcxr shows a cell's error with `Debug`: the same sentence, not a struct dump.
impl fmt::Debug for LabError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
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
