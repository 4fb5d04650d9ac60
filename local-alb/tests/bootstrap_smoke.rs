//! Smoke test against the project's real function, when one has been built.
//! Set BOOTSTRAP=path/to/bootstrap to run it (`make test-local` does).

mod common;

use common::Server;

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn real_bootstrap_serves_the_site_through_local_alb() {
    let bootstrap = common::bootstrap();
    for flags in [
        &["--instances", "1"][..],
        &["--instances", "1", "--multi-value"][..],
    ] {
        let s = Server::start_command(flags, std::slice::from_ref(&bootstrap));
        let r = s.get("/");
        assert_eq!(r.status, 200, "{flags:?} GET /: {}", r.text());
        let ctype = r.header("content-type").unwrap_or_default();
        assert!(
            ctype.starts_with("text/html"),
            "{flags:?} content-type {ctype}"
        );
        let r = s.get("/health");
        assert_eq!(r.status, 200, "{flags:?} GET /health: {}", r.text());
    }
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn the_access_log_names_each_invocations_request_id_and_trace_id() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let bootstrap = common::bootstrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    // The function writes its log to stdout, which it shares with local-alb.
    let mut child = Command::new(env!("CARGO_BIN_EXE_local-alb"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--instances",
            "1",
            "--invoke-api",
        ])
        .arg(format!("127.0.0.1:{port}"))
        .arg("--")
        .arg(&bootstrap)
        .env("AWS_LAMBDA_LOG_FORMAT", "json")
        .env_remove("AWS_LAMBDA_LOG_LEVEL")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut client = loop {
        match local_alb::kit::invoke::Client::connect(port) {
            Ok(c) => break c,
            Err(e) if Instant::now() > deadline => panic!("the Invoke API did not start: {e}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    };
    let event = local_alb::kit::alb_event::event("GET", "/robots.txt", &[]).to_string();
    for _ in 0..2 {
        let (status, _) = client.invoke(&event).unwrap();
        assert_eq!(status, 200);
    }
    let mut spans = Vec::new();
    while spans.len() < 2 {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("two request log lines on stdout");
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) {
            if v["fields"]["path"] == "/robots.txt" {
                spans.push(v["span"].clone());
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for span in &spans {
        assert!(
            span["xrayTraceId"]
                .as_str()
                .is_some_and(|t| t.starts_with("Root=1-")),
            "{span}"
        );
        assert!(
            span["requestId"].as_str().is_some_and(|r| r.len() == 36),
            "{span}"
        );
    }
    assert_ne!(spans[0]["xrayTraceId"], spans[1]["xrayTraceId"]);
    assert_ne!(spans[0]["requestId"], spans[1]["requestId"]);
}
