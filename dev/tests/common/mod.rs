//! What the dev suite shares: `make dev` on a scratch copy of a site, and a small HTTP/1.1 client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The repository root (where the Makefile is).
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("dev/ is in the repository")
        .to_path_buf()
}

/// How long any one change may take to show before a test fails (generous: a test asserts
/// behaviour, not speed; bench-dev measures speed).
pub const DEADLINE: Duration = Duration::from_secs(20);

/// A scratch folder with a copy of the sample site and an empty settings file, removed on drop.
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    pub fn sample(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("site-dev-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        copy_dir(&repo().join("site"), &dir.join("site"));
        std::fs::write(dir.join("site.toml"), "# defaults\n").unwrap();
        Scratch { dir }
    }

    pub fn site(&self) -> PathBuf {
        self.dir.join("site")
    }

    pub fn config(&self) -> PathBuf {
        self.dir.join("site.toml")
    }

    /// Writes a file of the site (path relative to the site folder).
    pub fn write(&self, rel: &str, text: &str) {
        let path = self.site().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.site().join(rel)).unwrap()
    }

    /// Dates every file of the site an hour back, as files that have been there a while (a
    /// file written within the last seconds is read again by the next re-plan, to be safe).
    pub fn age(&self) {
        fn age(dir: &Path, when: std::time::SystemTime) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    age(&path, when);
                } else {
                    let file = std::fs::File::options().write(true).open(&path).unwrap();
                    file.set_modified(when).unwrap();
                }
            }
        }
        age(
            &self.site(),
            std::time::SystemTime::now() - Duration::from_secs(3600),
        );
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// `make dev` running on a scratch site (port 0), stopped (its whole process group) on drop.
pub struct Dev {
    child: Child,
    pub port: u16,
    log: Arc<Mutex<String>>,
}

impl Dev {
    /// `make dev` with the tool this test run built (`DEV_TOOL_BUILT=1`: no cargo inside cargo).
    pub fn start(scratch: &Scratch, extra: &[&str]) -> Dev {
        use std::os::unix::process::CommandExt;
        let mut child = Command::new("make")
            .current_dir(repo())
            .args([
                "--no-print-directory",
                "-s",
                "dev",
                "PORT=0",
                "DEV_TOOL_BUILT=1",
            ])
            .arg(format!("DEV_TOOL={}", env!("CARGO_BIN_EXE_site-dev")))
            .arg(format!("SITE_DIR={}", scratch.site().display()))
            .arg(format!("SITE_CONFIG={}", scratch.config().display()))
            .args(extra)
            .env_remove("SOURCE_DATE_EPOCH")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("make runs");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut dev = Dev {
            child,
            port: 0,
            log,
        };
        let port = dev.wait_for_log(|log| {
            let at = log.find(" at http://127.0.0.1:")? + " at http://127.0.0.1:".len();
            log[at..].split('/').next()?.parse::<u16>().ok()
        });
        dev.port = port;
        dev
    }

    /// Everything the server printed so far.
    pub fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Polls the log until `found` finds something.
    pub fn wait_for_log<T>(&mut self, found: impl Fn(&str) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(t) = found(&self.log()) {
                return t;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("make dev exited ({status}):\n{}", self.log());
            }
            assert!(
                start.elapsed() < DEADLINE,
                "not in the log in time:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn get(&self, path: &str) -> Http {
        self.request("GET", path, &[])
    }

    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> Http {
        request(self.port, method, path, headers)
    }

    /// Polls `path` until the response satisfies `ok`; returns it.
    pub fn poll(&self, path: &str, ok: impl Fn(&Http) -> bool) -> Http {
        let start = Instant::now();
        loop {
            let r = self.get(path);
            if ok(&r) {
                return r;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{path} never became as expected; last answer:\n{r:?}\nserver log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Dev {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.child.wait();
    }
}

/// One HTTP response.
#[derive(Debug)]
pub struct Http {
    pub status: u16,
    /// Names lowercase, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Http {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One request on a new connection (`Connection: close`), the whole response read.
pub fn request(port: u16, method: &str, path: &str, headers: &[(&str, &str)]) -> Http {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut head =
        format!("{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("a whole response");
    parse(&raw, method == "HEAD")
}

fn parse(raw: &[u8], head: bool) -> Http {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let text = String::from_utf8_lossy(&raw[..end]);
    let mut lines = text.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = if head {
        Vec::new()
    } else {
        raw[end + 4..].to_vec()
    };
    Http {
        status,
        headers,
        body,
    }
}

/// A server-sent events stream, read message by message.
pub struct Events {
    reader: BufReader<TcpStream>,
}

impl Events {
    pub fn open(port: u16) -> Events {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.set_read_timeout(Some(DEADLINE)).unwrap();
        write!(
            stream,
            "GET /_dev/events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n\r\n"
        )
        .unwrap();
        let mut reader = BufReader::new(stream);
        let mut line = String::new();
        loop {
            line.clear();
            reader
                .read_line(&mut line)
                .expect("the events stream's headers");
            if line == "\r\n" || line.is_empty() {
                break;
            }
        }
        Events { reader }
    }

    /// The next `data:` value (chunked framing and comments skipped).
    pub fn next_data(&mut self) -> String {
        let mut line = String::new();
        loop {
            line.clear();
            let n = self.reader.read_line(&mut line).expect("an event in time");
            assert!(n > 0, "the events stream ended");
            if let Some(data) = line.trim_end().strip_prefix("data: ") {
                return data.to_string();
            }
        }
    }
}
