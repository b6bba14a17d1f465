//! The `LineServer` of the lab's exercises, over real TCP connections.

mod util;

use dstream::{Duration, LineServer};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;

fn read_lines(port: u16, n: usize) -> Vec<String> {
    let client = TcpStream::connect(("127.0.0.1", port)).unwrap();
    BufReader::new(client).lines().take(n).map(Result::unwrap).collect()
}

#[test]
fn cycles_through_its_lines_and_logs_what_it_sent() {
    let server = LineServer::cycle(["a", "b", "c"]).every(Duration::from_millis(1)).limit(7).start().unwrap();
    let got = read_lines(server.port(), 7);
    assert_eq!(got, ["a", "b", "c", "a", "b", "c", "a"]);
    util::wait_for(5, "the log", || server.sent_count() == 7);
    assert_eq!(server.sent_lines(), got);
}

#[test]
fn the_next_client_continues_where_the_previous_left() {
    let server =
        LineServer::cycle(["0", "1", "2", "3", "4"]).every(Duration::from_millis(1)).start().unwrap();
    let first = read_lines(server.port(), 2);
    util::wait_for(5, "the second client", || {
        let second = read_lines(server.port(), 1);
        second[0] != "0"
    });
    assert_eq!(first, ["0", "1"]);
    assert!(server.clients() >= 2);
}

#[test]
fn random_lines_from_a_file_are_reproducible_with_a_seed() {
    let dir = util::TempDir::new("line-server");
    let path = dir.0.join("phrases.txt");
    let phrases: Vec<String> = (0..20).map(|i| format!("phrase number {i}")).collect();
    std::fs::write(&path, format!("{}\n\n", phrases.join("\n"))).unwrap();
    let run = |seed| {
        let server = LineServer::random_from_file(&path, seed)
            .unwrap()
            .every(Duration::from_millis(1))
            .start()
            .unwrap();
        read_lines(server.port(), 50)
    };
    let (a, b, c) = (run(7), run(7), run(8));
    assert_eq!(a, b, "same seed, same lines");
    assert_ne!(a, c, "another seed, other lines");
    assert!(a.iter().all(|l| phrases.contains(l)), "only lines of the file, no empty line");
    let distinct: std::collections::HashSet<_> = a.iter().collect();
    assert!(distinct.len() > 5, "drawn at random, not one line repeated");
}

#[test]
fn bad_files_and_busy_ports_give_clear_errors() {
    let err = LineServer::random_from_file("/nonexistent/phrases.txt", 1).unwrap_err();
    assert!(err.to_string().contains("cannot read /nonexistent/phrases.txt"), "{err}");
    let dir = util::TempDir::new("line-server-empty");
    std::fs::write(dir.0.join("empty.txt"), "\n  \n").unwrap();
    let err = LineServer::random_from_file(dir.0.join("empty.txt"), 1).unwrap_err();
    assert!(err.to_string().contains("no non-empty line"), "{err}");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let err = LineServer::cycle(["x"]).port(port).start().unwrap_err();
    assert!(err.to_string().contains(&format!("cannot listen on 127.0.0.1:{port}")), "{err}");
}
