//! The crate's error type: what went wrong, and what to do about it.

use std::fmt;

/// The broad category of an [`Error`].
///
/// Match on it to react to a class of failures; read the error's message to know the details.
///
/// # Examples
///
/// ```
/// use dstream::{ErrorKind, StreamingContext, secs};
///
/// let ssc = StreamingContext::new(secs(1))?;
/// // No output operation: Spark refuses to start such a graph, and so do we.
/// let err = ssc.start().unwrap_err();
/// match err.kind() {
///     ErrorKind::InvalidState | ErrorKind::InvalidArgument => println!("fix the pipeline: {err}"),
///     other => panic!("unexpected {other:?}"),
/// }
/// # Ok::<(), dstream::Error>(())
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The [`StreamingContext`](crate::StreamingContext) is not in a state that allows the call
    /// (for instance starting it twice, or adding an operation after `start()`).
    InvalidState,
    /// An argument is out of range (a zero batch interval, a window that is not a multiple of the
    /// batch interval, an empty host name...).
    InvalidArgument,
    /// Reading or writing a file or a socket failed.
    Io,
    /// A checkpoint could not be written, or one found is corrupt, truncated, or does not match
    /// the pipeline.
    Checkpoint,
    /// A function supplied by the user (a `map` closure, a `foreach_rdd` body...) panicked while a
    /// batch was processed.
    UserCode,
    /// A Kafka broker could not be reached, or refused a request (feature `kafka`).
    Kafka,
    /// A graceful stop ran out of time: records that were received were never processed.
    Unprocessed,
}

/// The error type of every fallible operation in this crate.
///
/// Its `Display` says what went wrong and, where there is something to do, what to do. Its
/// `Debug` is the same message: evcxr shows the error that a cell's `?` returns in its `Debug` form,
/// and `unwrap()` panics with it, so a notebook reads the message itself rather than a struct with
/// escaped quotes (the kind is [`Error::kind`]).
///
/// # Examples
///
/// ```
/// use dstream::{Duration, ErrorKind, StreamingContext};
///
/// let err = StreamingContext::new(Duration::ZERO).unwrap_err();
/// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
/// assert!(err.to_string().contains("batch interval"));
/// assert_eq!(format!("{err:?}"), err.to_string());
/// ```
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    message: String,
}

impl Error {
    /// Makes an error of the given kind with a message for the user.
    ///
    /// ```
    /// use dstream::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::InvalidArgument, "the window must be a multiple of the interval");
    /// assert_eq!(err.to_string(), "the window must be a multiple of the interval");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into() }
    }

    pub(crate) fn invalid_state(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidState, message)
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// Wraps an I/O error with what we were doing (`context`), e.g. "cannot create directory /x".
    pub(crate) fn io(context: impl fmt::Display, source: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, format!("{context}: {source}"))
    }

    /// The category of this error.
    ///
    /// ```
    /// use dstream::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::InvalidArgument, "the window must be a multiple of the interval");
    /// assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind.
    ///
    /// ```
    /// use dstream::{Error, ErrorKind};
    /// let err = Error::new(ErrorKind::InvalidArgument, "the window must be a multiple of the interval");
    /// assert!(err.message().starts_with("the window"));
    /// ```
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

// What the `?` operator turns into an `Error` in a function given to the crate (a `foreach_rdd`
// body returning `dstream::Result<()>`): the errors a notebook's code meets most, and messages.

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Self {
        Error::new(ErrorKind::Io, e.to_string())
    }
}

impl From<String> for Error {
    fn from(message: String) -> Self {
        Error::new(ErrorKind::UserCode, message)
    }
}

impl From<&str> for Error {
    fn from(message: &str) -> Self {
        Error::new(ErrorKind::UserCode, message)
    }
}

impl From<std::fmt::Error> for Error {
    fn from(e: std::fmt::Error) -> Self {
        Error::new(ErrorKind::UserCode, e.to_string())
    }
}

impl From<std::num::ParseIntError> for Error {
    fn from(e: std::num::ParseIntError) -> Self {
        Error::new(ErrorKind::UserCode, e.to_string())
    }
}

impl From<std::num::ParseFloatError> for Error {
    fn from(e: std::num::ParseFloatError) -> Self {
        Error::new(ErrorKind::UserCode, e.to_string())
    }
}

impl From<std::str::Utf8Error> for Error {
    fn from(e: std::str::Utf8Error) -> Self {
        Error::new(ErrorKind::UserCode, e.to_string())
    }
}

impl From<Box<dyn std::error::Error + Send + Sync>> for Error {
    fn from(e: Box<dyn std::error::Error + Send + Sync>) -> Self {
        Error::new(ErrorKind::UserCode, e.to_string())
    }
}

/// `Result<T, dstream::Error>`.
///
/// ```
/// fn first_word(line: &str) -> dstream::Result<String> {
///     line.split(' ').next().filter(|w| !w.is_empty()).map(String::from).ok_or_else(|| "empty line".into())
/// }
/// assert_eq!(first_word("spark streaming")?, "spark");
/// assert_eq!(first_word("").unwrap_err().to_string(), "empty line");
/// # Ok::<(), dstream::Error>(())
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Turns a panic payload into a readable message.
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_string()
    }
}
