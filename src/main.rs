//! The `bootstrap` executable: a thin shell around [`site_server::handler`].
//!
//! - Under Lambda (`AWS_LAMBDA_RUNTIME_API` set) it serves invocations through `lambda_runtime`.
//! - `bootstrap invoke FILE` answers one ALB event from a file (`-` for stdin) and prints the
//!   response JSON: local use with no AWS and no network.
//! - `bootstrap info` prints what is embedded.

use std::io::Read;
use std::time::Instant;

use lambda_runtime::{service_fn, LambdaEvent};
use serde_json::value::RawValue;
use site_server::alb::Response;
use site_server::{handler, site};

const USAGE: &str = "\
usage: bootstrap                 serve ALB events as a Lambda function (needs AWS_LAMBDA_RUNTIME_API)
       bootstrap invoke FILE     answer one ALB event from FILE (- for stdin), print the response JSON
       bootstrap info            show what the binary embeds";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [] if std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() => run_lambda(),
        ["invoke", file] => invoke(file),
        ["info"] => {
            info();
            0
        }
        ["-h" | "--help" | "help"] => {
            println!("{USAGE}");
            0
        }
        [] => {
            eprintln!("AWS_LAMBDA_RUNTIME_API is not set, so this is not running as a Lambda function.\n{USAGE}");
            2
        }
        _ => {
            eprintln!("{USAGE}");
            2
        }
    };
    std::process::exit(code);
}

/// Handles one event and writes the access-log line.
fn answer(event: &str) -> Response {
    let started = Instant::now();
    let (response, line) = handler::handle_with_request_line(event);
    tracing::info!(
        method = %printable(&line.method),
        path = %printable(&line.path),
        status = response.status,
        bytes = response.body_len(),
        encoding = response.header("Content-Encoding").unwrap_or("identity"),
        micros = started.elapsed().as_micros() as u64,
        "request"
    );
    response
}

/// Escapes control characters, so a crafted method or path cannot forge log lines.
fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.escape_debug().to_string().into()
    } else {
        s.into()
    }
}

fn run_lambda() -> i32 {
    lambda_runtime::tracing::init_default_subscriber();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return 1;
        }
    };
    // The event is taken raw and parsed by the handler, so a malformed event becomes a 400
    // response rather than a deserialization error (which ALB would turn into a 502).
    let result = runtime.block_on(lambda_runtime::run(service_fn(
        |event: LambdaEvent<Box<RawValue>>| async move {
            Ok::<Response, lambda_runtime::Error>(answer(event.payload.get()))
        },
    )));
    match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("lambda runtime stopped: {e}");
            1
        }
    }
}

fn invoke(file: &str) -> i32 {
    lambda_runtime::tracing::init_default_subscriber_with_writer(std::io::stderr);
    let mut event = String::new();
    let read = if file == "-" {
        std::io::stdin().read_to_string(&mut event).map(|_| ())
    } else {
        std::fs::read_to_string(file).map(|s| event = s)
    };
    if let Err(e) = read {
        eprintln!("cannot read the event {file}: {e}");
        return 2;
    }
    let response = answer(&event);
    match serde_json::to_string_pretty(&response) {
        Ok(json) => {
            println!("{json}");
            0
        }
        Err(e) => {
            eprintln!("cannot write the response: {e}");
            1
        }
    }
}

fn info() {
    let variants: usize = site::FILES.iter().map(|f| f.variants.len()).sum();
    let stored: u64 = site::FILES
        .iter()
        .flat_map(|f| f.variants.iter())
        .map(|v| v.json.len() as u64)
        .sum();
    println!("files: {}", site::FILES.len());
    println!("routes: {}", site::ROUTES.len());
    println!("variants: {variants} (identity, gzip, br kept where smaller)");
    println!("site bytes: {}", site::SITE_BYTES);
    println!("embedded bytes: {stored}");
    println!("health path: {}", site::SETTINGS.health_path);
    println!("spa fallback: {:?}", site::SETTINGS.spa);
}
