//! Calls to the server that fail at once when the server is gone, instead of retrying.
//!
//! The client retries a call that meets a closed port for about ten minutes (15 attempts, from
//! 1 s to 64 s apart, as PySpark's client does), and lets no one shorten that. So a server that
//! stops while a query runs, or between two cells, would freeze the next cell for ten minutes.
//! A guarded call runs on a thread of its own while the caller checks, twice a second, that the
//! lab's server still accepts connections; when it no longer does, the caller returns an error
//! that says so, and the abandoned call ends in the background when the client gives up.

use crate::LabError;
use crate::session::{probe, server_url};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

/// How often a pending call checks that the server still answers.
const CHECK_EVERY: Duration = Duration::from_millis(500);
/// How many checks in a row must fail before the server is called gone (a busy server may be
/// slow to accept one connection; it does not refuse them).
const MISSED_CHECKS: u32 = 2;

/// Runs `call`, a call of the client to the lab's server ([`server_url`]), and returns its result,
/// or an error in French as soon as the server does not accept connections any more. `what`
/// names the call for that error ("l'appel stop de la requête « comptes »").
pub(crate) fn guarded<T, F>(what: &str, call: F) -> Result<T, LabError>
where
    T: Send + 'static,
    F: FnOnce() -> spark_connect::Result<T> + Send + 'static,
{
    let url = server_url();
    if let Err(cause) = probe(&url) {
        return Err(gone(&url, what, &cause, false));
    }
    let (sender, receiver) = mpsc::sync_channel(1);
    std::thread::Builder::new()
        .name("spark-lab-call".into())
        .spawn(move || {
            // The receiver is gone when the server was: nothing waits for this result any more.
            let _ = sender.send(call());
        })
        .map_err(|e| LabError::new(format!("impossible de lancer l'appel à Spark : {e}")))?;
    let mut missed = 0;
    loop {
        match receiver.recv_timeout(CHECK_EVERY) {
            // A call can also fail at once when the server goes away (its stream cut): the
            // client's message ("h2 protocol error...") then says less than ours.
            Ok(Err(error)) if server_went_away(&url, &error) => {
                return Err(gone(&url, what, &error.to_string(), true));
            }
            Ok(result) => return result.map_err(LabError::from),
            Err(RecvTimeoutError::Timeout) => match probe(&url) {
                Ok(()) => missed = 0,
                Err(cause) => {
                    missed += 1;
                    if missed >= MISSED_CHECKS {
                        return Err(gone(&url, what, &cause, true));
                    }
                }
            },
            Err(RecvTimeoutError::Disconnected) => {
                return Err(LabError::new(format!(
                    "le client Spark s'est interrompu pendant {what} (panique)"
                )));
            }
        }
    }
}

/// Whether a call's error came from the server going away: the connection failed, and the port
/// is closed now or within ten seconds (a server that stops cuts its streams first, then
/// closes its port).
fn server_went_away(url: &str, error: &spark_connect::SparkError) -> bool {
    let message = error.to_string().to_lowercase();
    let transport = ["h2 protocol", "transport", "unavailable", "connection", "broken pipe"];
    if !transport.iter().any(|t| message.contains(t)) {
        return false;
    }
    for _ in 0..20 {
        if probe(url).is_err() {
            return true;
        }
        std::thread::sleep(CHECK_EVERY);
    }
    false
}

/// The error for a server that does not answer: before the call, or while it was pending.
fn gone(url: &str, what: &str, cause: &str, during: bool) -> LabError {
    let (what_happened, start) = if during {
        let stopped = format!(
            "Le serveur Spark Connect ({url}) s'est arrêté pendant {what} ({cause}) ; ses requêtes de \
             streaming se sont arrêtées avec lui."
        );
        (stopped, "Redémarrez-le")
    } else {
        (
            format!("Le serveur Spark Connect ({url}) ne répond pas ({cause}) : {what} est impossible."),
            "Démarrez-le",
        )
    };
    LabError::new(format!(
        "{what_happened} {start} (scripts/spark start, dans un terminal ou avec spark_script(&[\"start\"])), \
         reconnectez-vous (connect()), puis relancez la requête : si elle a un checkpointLocation, avec \
         le même, elle reprend là où elle s'était arrêtée."
    ))
}

#[cfg(test)]
#[allow(clippy::result_large_err, reason = "the calls return the client's own error, as the client does")]
mod tests {
    use super::*;
    use std::net::TcpListener;

    // The lab's server is the one of TP_SPARK_PORT: each test sets it to a listener of its own,
    // so the tests run one at a time.
    static PORT: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn on_port<R>(port: u16, run: impl FnOnce() -> R) -> R {
        let _one_at_a_time = PORT.lock().unwrap_or_else(|e| e.into_inner());
        // SAFETY: the tests that read or write TP_SPARK_PORT hold PORT; nothing else here does.
        unsafe { std::env::set_var("TP_SPARK_PORT", port.to_string()) };
        run()
    }

    #[test]
    fn a_call_that_returns_gives_its_result() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(on_port(port, || guarded("un appel", || Ok(42))).unwrap(), 42);
    }

    #[test]
    fn a_server_that_is_not_there_fails_at_once_without_calling() {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let error =
            on_port(port, || guarded("un appel", || -> spark_connect::Result<()> { panic!("not called") }))
                .unwrap_err()
                .to_string();
        assert!(error.contains("ne répond pas") && error.contains("un appel est impossible"), "{error}");
        assert!(error.contains("scripts/spark start"), "{error}");
    }

    #[test]
    fn a_call_cut_by_the_server_going_away_says_so() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let error = on_port(port, || {
            guarded("l'appel stop de la requête « comptes »", move || -> spark_connect::Result<()> {
                drop(listener); // the server goes away, and the call fails as the client's does
                Err(spark_connect::SparkError::connect_msg(
                    "h2 protocol error: error reading a body from connection",
                ))
            })
        })
        .unwrap_err()
        .to_string();
        assert!(
            error.contains("s'est arrêté pendant l'appel stop") && error.contains("h2 protocol error"),
            "{error}"
        );
    }

    #[test]
    fn an_error_of_a_server_that_still_runs_is_the_clients() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let error = on_port(port, || {
            guarded("un appel", || -> spark_connect::Result<()> {
                Err(spark_connect::SparkError::connect_msg("table not found"))
            })
        })
        .unwrap_err()
        .to_string();
        assert!(error.contains("table not found") && !error.contains("s'est arrêté"), "{error}");
    }

    #[test]
    fn a_server_that_stops_during_the_call_ends_it_with_an_error() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let error = on_port(port, || {
            let (stop, stopped) = mpsc::channel::<()>();
            let server = std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                drop(listener); // the server goes away while the call waits
                stopped.recv().ok();
            });
            // A call that would wait for ten minutes, as the client's retries do: the error (and
            // not its `Ok`) says that the guard returned without it.
            let result =
                guarded("l'appel stop de la requête « comptes »", || -> spark_connect::Result<()> {
                    std::thread::sleep(Duration::from_secs(600));
                    Ok(())
                });
            stop.send(()).unwrap();
            server.join().unwrap();
            result
        })
        .unwrap_err()
        .to_string();
        assert!(error.contains("s'est arrêté pendant l'appel stop de la requête « comptes »"), "{error}");
    }
}
