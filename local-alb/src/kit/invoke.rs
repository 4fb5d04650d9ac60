//! A client of Lambda's Invoke API, `POST /2015-03-31/functions/function/invocations` with the
//! event as the body and the function's payload as the reply, as AWS's Runtime Interface
//! Emulator and local-alb's `--invoke-api` serve it. One keep-alive connection; a request can
//! be prepared once, so a benchmark's loop only writes and reads. Also the built binary's own
//! `bootstrap invoke -` (`local`), the one way the tests run it.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

pub const INVOKE_PATH: &str = "/2015-03-31/functions/function/invocations";

/// The bytes of one invocation request to the Invoke API on 127.0.0.1:`port`.
pub fn request(port: u16, payload: &str) -> Vec<u8> {
    format!(
        "POST {INVOKE_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{payload}",
        payload.len()
    )
    .into_bytes()
}

pub struct Client {
    reader: BufReader<TcpStream>,
    port: u16,
}

impl Client {
    pub fn connect(port: u16) -> io::Result<Client> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        // Latency is what the benchmarks measure: no Nagle delay on the small requests.
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        Ok(Client {
            reader: BufReader::with_capacity(64 * 1024, stream),
            port,
        })
    }

    /// Invokes with `payload`; returns the HTTP status and the reply body.
    pub fn invoke(&mut self, payload: &str) -> io::Result<(u16, Vec<u8>)> {
        let mut body = Vec::new();
        let status = self.send(&request(self.port, payload), &mut body)?;
        Ok((status, body))
    }

    /// Sends a request made by [`request`] and reads the whole reply body into `body` (sized or
    /// chunked); returns the HTTP status.
    pub fn send(&mut self, request: &[u8], body: &mut Vec<u8>) -> io::Result<u16> {
        self.reader.get_mut().write_all(request)?;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .ok_or_else(|| bad(format!("bad status line {line:?}")))?;
        let mut length = None;
        let mut chunked = false;
        loop {
            line.clear();
            if self.reader.read_line(&mut line)? == 0 {
                return Err(bad("connection closed in the headers".into()));
            }
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            let (name, value) = l.split_once(':').unwrap_or((l, ""));
            if name.eq_ignore_ascii_case("content-length") {
                length = Some(
                    value
                        .trim()
                        .parse::<usize>()
                        .map_err(|_| bad(format!("bad Content-Length {value:?}")))?,
                );
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.to_ascii_lowercase().contains("chunked");
            }
        }
        body.clear();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size_text = line.trim().split(';').next().unwrap_or("");
                let size = usize::from_str_radix(size_text, 16)
                    .map_err(|_| bad(format!("bad chunk size {size_text:?}")))?;
                if size == 0 {
                    // The empty trailer section.
                    line.clear();
                    self.reader.read_line(&mut line)?;
                    break;
                }
                let start = body.len();
                body.resize(start + size, 0);
                self.reader.read_exact(&mut body[start..])?;
                let mut crlf = [0u8; 2];
                self.reader.read_exact(&mut crlf)?;
            }
        } else {
            let length =
                length.ok_or_else(|| bad("a reply with neither length nor chunks".into()))?;
            body.resize(length, 0);
            self.reader.read_exact(body)?;
        }
        Ok(status)
    }
}

fn bad(why: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, why)
}

/// The built binary `bootstrap`'s `invoke -` with `event` on its stdin, the variables in `unset`
/// removed and those of `env` set: how it exited and what it printed.
pub fn local(
    bootstrap: &std::path::Path,
    event: &str,
    env: &[(&str, &str)],
    unset: &[&str],
) -> std::process::Output {
    use std::process::{Command, Stdio};
    let mut cmd = Command::new(bootstrap);
    for var in unset {
        cmd.env_remove(var);
    }
    let mut child = cmd
        .args(["invoke", "-"])
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bootstrap runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(event.as_bytes())
        .expect("bootstrap reads the event");
    child.wait_with_output().expect("bootstrap exits")
}
