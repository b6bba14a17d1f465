//! `Query`: a streaming query whose calls fail at once when the server is gone.

use crate::guard::guarded;
use crate::{LabError, Progress};
use spark_connect::StreamingQuery;
use std::ops::Deref;
use std::time::Duration;

/// A streaming query of the lab's server (what `write_stream().start(..)` returns), whose calls
/// that wait on the server (`process_all_available`, `await_termination`, `stop`, `is_active`,
/// the progress reports) return an error in French as soon as the server stops, instead of
/// retrying for ten minutes as the client does. Everything else is the client's
/// [`StreamingQuery`], through `Deref` (`id()`, `name()`, `explain(..)`...).
///
/// # Examples
///
/// ```no_run
/// use spark_lab::prelude::*;
///
/// let spark = connect()?;
/// let lines = spark.read_stream().format("rate").load(None);
/// let query = Query::new(lines.write_stream().format("memory").query_name("lignes").start("")?);
/// query.process_all_available()?; // fails at once if the server stops meanwhile
/// println!("{} : {} rapports", query.id(), query.recent_progress()?.len());
/// query.stop()?;
/// # Ok::<(), LabError>(())
/// ```
#[derive(Clone)]
pub struct Query {
    inner: StreamingQuery,
    what: String,
}

impl Query {
    /// Watches `query`, a query of the lab's server ([`server_url`](crate::server_url)).
    pub fn new(query: StreamingQuery) -> Query {
        let what = match query.name() {
            Some(name) => format!("la requête « {name} »"),
            None => format!("la requête {}", query.id()),
        };
        Query { inner: query, what }
    }

    /// The client's query.
    pub fn inner(&self) -> &StreamingQuery {
        &self.inner
    }

    /// Waits until the query has processed everything its sources have (PySpark's
    /// `processAllAvailable()`, meant for tests and notebooks).
    pub fn process_all_available(&self) -> Result<(), LabError> {
        self.call("processAllAvailable", StreamingQuery::process_all_available)
    }

    /// Waits until the query stops, or `timeout` at most (`None`: without limit); `Some(true)`
    /// if it stopped (PySpark's `awaitTermination`). A query that stopped on an error returns
    /// that error.
    #[allow(
        clippy::result_large_err,
        reason = "the closure returns the client's own error, as the client does"
    )]
    pub fn await_termination(&self, timeout: Option<Duration>) -> Result<Option<bool>, LabError> {
        self.call("awaitTermination", move |q| q.await_termination(timeout.map(|t| t.as_secs_f64())))
    }

    /// Stops the query (PySpark's `stop()`).
    pub fn stop(&self) -> Result<(), LabError> {
        self.call("stop", StreamingQuery::stop)
    }

    /// Whether the query runs (PySpark's `isActive`).
    pub fn is_active(&self) -> Result<bool, LabError> {
        self.call("isActive", StreamingQuery::is_active)
    }

    /// What the query is doing now (PySpark's `status`).
    pub fn status(&self) -> Result<spark_connect::streaming::StreamingQueryStatus, LabError> {
        self.call("status", StreamingQuery::status)
    }

    /// The error the query stopped on, if it did (PySpark's `exception()`).
    pub fn exception(&self) -> Result<Option<spark_connect::streaming::StreamingQueryException>, LabError> {
        self.call("exception", StreamingQuery::exception)
    }

    /// The last trigger's progress report, typed (PySpark's `lastProgress`).
    pub fn last_progress(&self) -> Result<Option<Progress>, LabError> {
        self.call("lastProgress", StreamingQuery::last_progress)?.as_deref().map(Progress::parse).transpose()
    }

    /// The progress reports Spark keeps (the last 100 triggers), oldest first, typed (PySpark's
    /// `recentProgress`).
    pub fn recent_progress(&self) -> Result<Vec<Progress>, LabError> {
        self.call("recentProgress", StreamingQuery::recent_progress)?
            .iter()
            .map(|json| Progress::parse(json))
            .collect()
    }

    #[allow(
        clippy::result_large_err,
        reason = "the closure returns the client's own error, as the client does"
    )]
    fn call<T: Send + 'static>(
        &self,
        method: &str,
        call: impl FnOnce(&StreamingQuery) -> spark_connect::Result<T> + Send + 'static,
    ) -> Result<T, LabError> {
        let query = self.inner.clone();
        guarded(&format!("l'appel {method} de {}", self.what), move || call(&query))
    }
}

impl From<StreamingQuery> for Query {
    fn from(query: StreamingQuery) -> Query {
        Query::new(query)
    }
}

impl Deref for Query {
    type Target = StreamingQuery;

    fn deref(&self) -> &StreamingQuery {
        &self.inner
    }
}

impl std::fmt::Debug for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Query({}, id {})", self.what, self.inner.id())
    }
}
