//! `executors`: which of Spark's executors ran the application's tasks, from Spark's REST API.

use crate::script::spark_script_output;
use crate::{LabError, Table};
use serde_json::Value as Json;
use spark_connect::row::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// The executors of the Connect server's Spark application, as its web UI lists them
/// (`/api/v1/applications/<id>/executors`): one row per executor, with its `id` (`driver` for
/// the driver itself), its `hostPort`, its `totalCores`, and the tasks it has run
/// (`completedTasks`, `failedTasks`). In `local[2]` mode the driver runs every task; on the
/// standalone cluster of `scripts/spark start --cluster`, the Worker's executor `0` does.
///
/// The UI's address is the one `scripts/spark ui` reads in the server's log.
///
/// ```no_run
/// let table = spark_lab::executors()?; // end a cell with it to see it
/// # Ok::<(), spark_lab::LabError>(())
/// ```
pub fn executors() -> Result<Table, LabError> {
    let ui = spark_script_output(&["ui"])?;
    let ui = ui.trim();
    let applications = get_json(ui, "/api/v1/applications")?;
    let id =
        applications.get(0).and_then(|app| app.get("id")).and_then(Json::as_str).ok_or_else(|| {
            LabError::new(format!("l'interface de Spark ({ui}) ne liste aucune application"))
        })?;
    let executors = get_json(ui, &format!("/api/v1/applications/{id}/executors"))?;
    executors_table(&executors)
}

/// The table of a `/executors` answer.
fn executors_table(executors: &Json) -> Result<Table, LabError> {
    let list =
        executors.as_array().ok_or_else(|| LabError::new(format!("réponse inattendue : {executors}")))?;
    let columns = ["id", "hostPort", "totalCores", "completedTasks", "failedTasks"];
    let rows = list
        .iter()
        .map(|executor| {
            columns
                .iter()
                .map(|&key| match executor.get(key) {
                    Some(Json::String(text)) => Value::String(text.clone()),
                    Some(number) if number.is_i64() => Value::Long(number.as_i64().unwrap_or_default()),
                    _ => Value::Null,
                })
                .collect()
        })
        .collect();
    Ok(Table::new(columns.iter().map(|c| c.to_string()).collect(), rows))
}

/// `GET base + path` (HTTP/1.0, plain), read as JSON.
fn get_json(base: &str, path: &str) -> Result<Json, LabError> {
    let fail = |cause: &dyn std::fmt::Display| {
        LabError::new(format!("impossible de lire {base}{path}, l'interface web de Spark : {cause}"))
    };
    let authority = base.strip_prefix("http://").ok_or_else(|| fail(&"adresse sans http://"))?;
    let mut stream = TcpStream::connect(authority).map_err(|e| fail(&e))?;
    stream.set_read_timeout(Some(Duration::from_secs(30))).map_err(|e| fail(&e))?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/json\r\n\r\n")
        .map_err(|e| fail(&e))?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(|e| fail(&e))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(|| fail(&"réponse HTTP incomplète"))?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200 ") {
        return Err(fail(&status));
    }
    serde_json::from_str(body).map_err(|e| fail(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_executors_answer_becomes_a_table() {
        // Abridged from Spark 4.3's answer on the standalone cluster of scripts/spark.
        let answer: Json = serde_json::from_str(
            r#"[{"id": "driver", "hostPort": "127.0.0.1:40123", "totalCores": 0, "completedTasks": 0, "failedTasks": 0},
                {"id": "0", "hostPort": "127.0.0.1:40555", "totalCores": 2, "completedTasks": 48, "failedTasks": 0}]"#,
        )
        .unwrap();
        let table = executors_table(&answer).unwrap();
        assert_eq!(table.columns(), ["id", "hostPort", "totalCores", "completedTasks", "failedTasks"]);
        assert_eq!(table.counts("id", "completedTasks").unwrap()["0"], 48);
        assert_eq!(table.rows()[1][1], Value::String("127.0.0.1:40555".into()));
    }

    #[test]
    fn a_page_that_is_not_there_is_an_error_naming_it() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            let (mut peer, _) = listener.accept().unwrap();
            // The whole request first: closing with unread bytes would reset the connection.
            let mut request = Vec::new();
            let mut chunk = [0; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                let n = peer.read(&mut chunk).unwrap();
                assert!(n > 0, "the request ends with an empty line");
                request.extend_from_slice(&chunk[..n]);
            }
            peer.write_all(b"HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n").unwrap();
        });
        let error = get_json(&base, "/api/v1/applications").unwrap_err().to_string();
        server.join().unwrap();
        assert!(error.contains("/api/v1/applications") && error.contains("404"), "{error}");
    }
}
