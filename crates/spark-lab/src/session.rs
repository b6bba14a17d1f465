//! A session on the lab's Spark Connect server.

use crate::LabError;
use spark_connect::SparkSession;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// The port `scripts/spark start` binds the Connect server to, unless `TP_SPARK_PORT` says
/// otherwise.
pub const DEFAULT_PORT: u16 = 15002;

/// The lab's server: `TP_SPARK_URL` if set (a server elsewhere, e.g. `sc://spark.example:15002`),
/// else `sc://127.0.0.1:PORT`, with the port `scripts/spark` uses (`TP_SPARK_PORT`, or
/// [`DEFAULT_PORT`]). [`connect`] connects to it, and [`Query`](crate::Query) and
/// [`Table::of`](crate::Table::of) watch it.
///
/// ```
/// let url = spark_lab::server_url();
/// assert!(url.starts_with("sc://"));
/// ```
pub fn server_url() -> String {
    if let Ok(url) = std::env::var("TP_SPARK_URL") {
        if !url.is_empty() {
            return url;
        }
    }
    let port =
        std::env::var("TP_SPARK_PORT").ok().and_then(|p| p.parse::<u16>().ok()).unwrap_or(DEFAULT_PORT);
    format!("sc://127.0.0.1:{port}")
}

/// A session on the lab's server ([`server_url`]); see [`connect_to`].
///
/// ```no_run
/// let spark = spark_lab::connect()?;
/// println!("Spark {}", spark.version()?);
/// # Ok::<(), spark_lab::LabError>(())
/// ```
pub fn connect() -> Result<SparkSession, LabError> {
    connect_to(&server_url())
}

/// A session on the Connect server at `url` (`sc://host:port`), checked: the server is asked its
/// version, so that a server that is not running fails here, with what to run, and not at the
/// first query.
///
/// [`Query`](crate::Query) and [`Table::of`](crate::Table::of) watch the lab's server,
/// [`server_url`]: to use them with another server, set `TP_SPARK_URL` to its address and use
/// [`connect`].
///
/// ```
/// // Nothing listens on port 9 here: the error says so, and what to run.
/// let Err(e) = spark_lab::connect_to("sc://127.0.0.1:9") else { panic!("nothing listens there") };
/// assert!(e.to_string().contains("scripts/spark start"));
/// ```
pub fn connect_to(url: &str) -> Result<SparkSession, LabError> {
    let unreachable = |cause: &dyn std::fmt::Display| {
        format!(
            "Le serveur Spark Connect ne répond pas à l'adresse {url} ({cause}). Démarrez-le dans un \
             terminal, depuis le dossier du projet : scripts/spark start (scripts/spark status dit \
             ce qui tourne), puis exécutez de nouveau cette cellule."
        )
    };
    // The client retries a refused connection for minutes: a server that is not there is told
    // at once by a plain TCP connection first.
    probe(url).map_err(|cause| LabError::new(unreachable(&cause)))?;
    let spark = SparkSession::builder()
        .remote(url)
        .get_or_create()
        .map_err(|e| LabError::with_source(unreachable(&e), e))?;
    spark.version().map_err(|e| LabError::with_source(unreachable(&e), e))?;
    Ok(spark)
}

/// Whether something accepts TCP connections at `url`'s host and port (`sc://host:port/...`).
pub(crate) fn probe(url: &str) -> Result<(), String> {
    let rest = url.strip_prefix("sc://").ok_or_else(|| "l'adresse doit commencer par sc://".to_string())?;
    let authority = rest.split(['/', ';']).next().unwrap_or(rest);
    let authority =
        if authority.contains(':') { authority.to_string() } else { format!("{authority}:{DEFAULT_PORT}") };
    let addresses = authority.to_socket_addrs().map_err(|e| format!("adresse {authority} : {e}"))?;
    let mut last = format!("aucune adresse pour {authority}");
    for address in addresses {
        match TcpStream::connect_timeout(&address, Duration::from_secs(3)) {
            Ok(_) => return Ok(()),
            Err(e) => last = format!("{address} : {e}"),
        }
    }
    Err(last)
}
