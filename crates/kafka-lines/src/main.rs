//! `kafka-lines`: sends random lines of a file to a Kafka topic at a steady rate, printing each
//! one with its partition and offset — the lab's socket server, Kafka edition. Run it through
//! `scripts/kafka produce`.

use dstream::LineServer;
use std::process::ExitCode;

const USAGE: &str = "usage: kafka-lines [--brokers HOST:PORT] [--topic T] [--file F] [--rate LINES_PER_SECOND] \
                     [--limit N] [--seed S] [--quiet]";

struct Args {
    brokers: String,
    topic: String,
    file: String,
    rate: u32,
    limit: Option<u64>,
    seed: u64,
    quiet: bool,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let mut parsed = Args {
        brokers: "127.0.0.1:9092".into(),
        topic: "phrases".into(),
        file: format!("{root}/notebooks/donnees/phrases.txt"),
        rate: 2,
        limit: None,
        seed: 42,
        quiet: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--quiet" {
            parsed.quiet = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_string());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let number = |what: &str| {
            value.parse::<u64>().map_err(|_| format!("{what} must be a whole number, got {value:?}"))
        };
        match flag.as_str() {
            "--brokers" => parsed.brokers = value.clone(),
            "--topic" => parsed.topic = value.clone(),
            "--file" => parsed.file = value.clone(),
            "--rate" => {
                parsed.rate =
                    u32::try_from(number("--rate")?).map_err(|_| "--rate is too large".to_string())?
            }
            "--limit" => parsed.limit = Some(number("--limit")?),
            "--seed" => parsed.seed = number("--seed")?,
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    if parsed.rate == 0 {
        return Err("--rate must be at least 1 line per second".into());
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let file = std::fs::canonicalize(&args.file).map_or(args.file.clone(), |p| p.display().to_string());
    let builder = match LineServer::random_from_file(&file, args.seed) {
        Ok(builder) => builder.lines_per_second(args.rate).verbose(!args.quiet),
        Err(e) => {
            eprintln!("kafka-lines: {e}");
            return ExitCode::FAILURE;
        }
    };
    let builder = match args.limit {
        Some(limit) => builder.limit(limit),
        None => builder,
    };
    let producer = match builder.start_kafka(&args.brokers, &args.topic) {
        Ok(producer) => producer,
        Err(e) => {
            eprintln!("kafka-lines: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Sending random lines of {} to topic {} ({} partitions) on {}, {} per second{}.",
        file,
        producer.topic(),
        producer.partitions().len(),
        args.brokers,
        args.rate,
        args.limit.map_or(" until Ctrl+C".to_string(), |n| format!(", {n} in all"))
    );
    // Without a limit this waits until the process is interrupted.
    while !producer.wait_until_sent(std::time::Duration::from_secs(3600)) {}
    println!("{} lines sent.", producer.sent_count());
    ExitCode::SUCCESS
}
