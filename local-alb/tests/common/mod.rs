//! Test harness: runs the built `local-alb` binary on a free loopback port and
//! talks raw HTTP/1.1 to it, so tests control the exact request bytes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub fn fake_function() -> Vec<String> {
    vec![
        "python3".into(),
        "-u".into(),
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/fake_function.py"
        )
        .into(),
    ]
}

pub struct Server {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// local-alb with `flags`, serving the fake function.
    pub fn start(flags: &[&str]) -> Server {
        Server::start_command(flags, &fake_function())
    }

    pub fn start_command(flags: &[&str], command: &[String]) -> Server {
        Server::start_env(flags, command, &[])
    }

    /// `env` is set for local-alb, which passes it on to the function.
    pub fn start_env(flags: &[&str], command: &[String], env: &[(&str, &str)]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_local-alb"))
            .envs(env.iter().copied())
            .args(["--listen", "127.0.0.1:0"])
            .args(flags)
            .arg("--")
            .args(command)
            .stdin(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start local-alb");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (port_tx, port_rx) = mpsc::channel();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                eprintln!("[server] {line}");
                if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                    let port: u16 = rest.split(' ').next().unwrap().parse().unwrap();
                    let _ = port_tx.send(port);
                }
                sink.lock().unwrap().push(line);
            }
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(10))
            .expect("local-alb did not report its port");
        Server { child, port, log }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn get(&self, target: &str) -> Resp {
        self.send(&format!(
            "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n",
            self.port
        ))
    }

    pub fn send(&self, raw: &str) -> Resp {
        self.send_bytes(raw.as_bytes())
    }

    pub fn send_bytes(&self, raw: &[u8]) -> Resp {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream.write_all(raw).expect("write request");
        let mut data = Vec::new();
        stream.read_to_end(&mut data).expect("read response");
        Resp::parse(&data)
    }

    /// Waits up to `wait` for a log line containing every needle.
    pub fn log_line(&self, needles: &[&str], wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            if let Some(line) = self
                .log
                .lock()
                .unwrap()
                .iter()
                .find(|l| needles.iter().all(|n| l.contains(n)))
            {
                return Some(line.clone());
            }
            if Instant::now() > deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// SIGTERM (as a user's Ctrl-C or a service manager would) and wait for exit.
    pub fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.terminate().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    fn parse(data: &[u8]) -> Resp {
        let split = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(data)));
        let head = String::from_utf8_lossy(&data[..split]).to_string();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        Resp {
            status,
            headers,
            body: data[split + 4..].to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).to_string()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("body is not JSON ({e}): {}", self.text()))
    }
}

pub const ALB_502_PAGE: &str = "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>";

/// The project's real function, from `BOOTSTRAP` (as `make test-local` sets it). The tests
/// that call it are `#[ignore]`d, so a bare `cargo test` skips them and says so; asked for
/// without it, they fail rather than pass having checked nothing.
pub fn bootstrap() -> String {
    std::env::var("BOOTSTRAP")
        .expect("set BOOTSTRAP=path/to/bootstrap to run this test (make test-local does)")
}

/// local-alb's Invoke API (one instance) in front of `function`, connected.
pub struct InvokeApi {
    _server: Server,
    pub client: local_alb::kit::invoke::Client,
}

impl InvokeApi {
    pub fn start(function: &[String]) -> InvokeApi {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let invoke_api = format!("127.0.0.1:{port}");
        let server =
            Server::start_command(&["--instances", "1", "--invoke-api", &invoke_api], function);
        // Generous: qemu-user starts an arm64 function more slowly than the machine its own.
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = loop {
            match local_alb::kit::invoke::Client::connect(port) {
                Ok(c) => break c,
                Err(e) if Instant::now() > deadline => panic!("the Invoke API did not start: {e}"),
                Err(_) => std::thread::sleep(Duration::from_millis(20)),
            }
        };
        InvokeApi {
            _server: server,
            client,
        }
    }
}

/// The real function's own answer to `event`, through local-alb's Invoke API, where no front
/// door reads it: the response shape it chose says which door it took the event for.
pub fn invoke_raw(bootstrap: &str, event: &str) -> serde_json::Value {
    let mut api = InvokeApi::start(&[bootstrap.to_string()]);
    let (status, body) = api.client.invoke(event).expect("invoke");
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    serde_json::from_slice(&body).expect("the function's answer is JSON")
}

/// The keys of a JSON object, sorted.
pub fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut keys: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    keys
}

/// What a test's built event needs besides the request: the context local-alb gives it.
pub fn event_context(trace_id: &str) -> local_alb::event::Context<'_> {
    local_alb::event::Context {
        target_group_arn:
            "arn:aws:vpc-lattice:us-east-1:123456789012:targetgroup/tg-0123456789abcdef0",
        multi_value: false,
        client_ip: "127.0.0.1".into(),
        listen_port: 3000,
        trace_id,
    }
}
