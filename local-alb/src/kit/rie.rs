//! AWS's Lambda Runtime Interface Emulator (RIE) running one function, driven over its Invoke
//! API: started on two free loopback ports, ready once both listen, and stopped with its
//! function (the whole process group) on drop, even when a test panics.

use std::io::{self, BufRead, BufReader, Read};
use std::net::{TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::{invoke, process};

/// Where `make rie` puts the emulator, relative to the repository.
pub const FETCHED_PATH: &str = ".tools/aws-lambda-rie-x86_64";

/// Whether the emulator's and the function's output is kept (for tests that read the logs or
/// the RIE's `INIT REPORT`) or dropped (so a long benchmark does not pile it up in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Capture,
    Discard,
}

pub struct Emulator {
    child: Child,
    port: u16,
    function: PathBuf,
    logs: Option<Arc<Mutex<Vec<String>>>>,
}

impl Emulator {
    /// Starts `rie` running `function` with Lambda's log settings cleared plus `env`, and waits
    /// (10 s at most) until it accepts invocations.
    pub fn start(
        rie: &Path,
        function: &Path,
        env: &[(&str, &str)],
        output: Output,
    ) -> io::Result<Emulator> {
        let context = |what: &str, path: &Path, e: io::Error| {
            io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
        };
        // Absolute: the emulator runs in the temp directory.
        let rie = rie
            .canonicalize()
            .map_err(|e| context("no emulator at", rie, e))?;
        let function = function
            .canonicalize()
            .map_err(|e| context("no function at", function, e))?;
        let port = free_port()?;
        let api_port = free_port()?;
        let piped = || match output {
            Output::Capture => Stdio::piped(),
            Output::Discard => Stdio::null(),
        };
        let mut cmd = Command::new(&rie);
        cmd.arg("--runtime-interface-emulator-address")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--runtime-api-address")
            .arg(format!("127.0.0.1:{api_port}"))
            .arg(&function)
            .current_dir(std::env::temp_dir())
            .env_remove("AWS_LAMBDA_RUNTIME_API")
            .env_remove("AWS_LAMBDA_LOG_FORMAT")
            .env_remove("AWS_LAMBDA_LOG_LEVEL")
            .env_remove("RUST_LOG")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(piped())
            .stderr(piped())
            // Its own process group, so stopping it reaches the function process too.
            .process_group(0);
        let mut child = cmd.spawn().map_err(|e| context("cannot start", &rie, e))?;
        let logs = (output == Output::Capture).then(|| Arc::new(Mutex::new(Vec::new())));
        if let Some(logs) = &logs {
            let streams: [Box<dyn Read + Send>; 2] = [
                Box::new(child.stdout.take().expect("piped stdout")),
                Box::new(child.stderr.take().expect("piped stderr")),
            ];
            for stream in streams {
                let sink = Arc::clone(logs);
                std::thread::spawn(move || {
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        lock(&sink).push(line);
                    }
                });
            }
        }
        let emulator = Emulator {
            child,
            port,
            function,
            logs,
        };
        // Both ports: the RIE listens for invocations before its Runtime API is up, and an
        // invocation in that gap starts a function that cannot connect (it exits; HTTP 502).
        // Polled often: cold-start timings include this wait.
        let deadline = Instant::now() + Duration::from_secs(10);
        for p in [api_port, port] {
            while TcpStream::connect(("127.0.0.1", p)).is_err() {
                if Instant::now() > deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "the emulator did not accept connections on 127.0.0.1:{p} within 10 s; \
                             its output:\n{}",
                            emulator.log_text()
                        ),
                    ));
                }
                std::thread::sleep(Duration::from_micros(100));
            }
        }
        Ok(emulator)
    }

    /// The port of its Invoke API.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A keep-alive connection to its Invoke API.
    pub fn connect(&self) -> io::Result<invoke::Client> {
        invoke::Client::connect(self.port)
    }

    /// One invocation on a connection of its own: the HTTP status and the reply body.
    pub fn invoke(&self, payload: &str) -> io::Result<(u16, Vec<u8>)> {
        self.connect()?.invoke(payload)
    }

    /// Every line the emulator and the function have written so far (none with
    /// [`Output::Discard`]).
    pub fn log_lines(&self) -> Vec<String> {
        self.logs
            .as_ref()
            .map(|l| lock(l).clone())
            .unwrap_or_default()
    }

    pub fn log_text(&self) -> String {
        self.log_lines().join("\n")
    }

    /// The function process: the emulator's child running the function.
    pub fn function_pid(&self) -> Option<u32> {
        process::child_running(self.child.id(), &self.function)
    }

    /// The function process's peak resident set (VmHWM), in KiB.
    pub fn function_peak_rss_kib(&self) -> Option<u64> {
        process::peak_rss_kib(self.function_pid()?)
    }

    /// The RIE's `INIT REPORT(durationMs: X)`: from starting the function to its first poll of
    /// the Runtime API, as the RIE measures it. Waits up to 2 s for the line to be written;
    /// `None` without [`Output::Capture`].
    pub fn init_duration_ms(&self) -> Option<f64> {
        let logs = self.logs.as_ref()?;
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let found = lock(logs).iter().find_map(|line| {
                let rest = line.split("INIT REPORT(durationMs: ").nth(1)?;
                rest.split(')').next()?.trim().parse().ok()
            });
            if found.is_some() || Instant::now() > deadline {
                return found;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        // SIGTERM to the group: the RIE shuts the function down; SIGKILL whatever is left.
        let group = format!("-{}", self.child.id());
        let kill = |signal: &str| {
            let _ = Command::new("kill")
                .args([signal, "--", &group])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        };
        kill("-TERM");
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline && !matches!(self.child.try_wait(), Ok(Some(_))) {
            std::thread::sleep(Duration::from_millis(5));
        }
        kill("-KILL");
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The lock even after a panic elsewhere: a log is still worth reading then.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
