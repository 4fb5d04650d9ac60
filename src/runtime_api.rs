//! A client of the Lambda Runtime API (2018-06-01): the loop's transport, nothing else.
//!
//! Written here rather than taken from `lambda_runtime` because that crate calls
//! `std::env::set_var("_X_AMZN_TRACE_ID", …)` before every invocation, and glibc's `setenv`
//! keeps every distinct value for the life of the process: a warm instance grew by about
//! 130 bytes per request until Lambda killed it (see `docs/upstream-lambda-runtime-leak.md`).
//! The general HTTP clients (hyper, ureq, reqwest) bring an async runtime, TLS or a pool that a
//! single keep-alive connection to a local endpoint does not need, so the request line is
//! written by hand and the response head parsed with `httparse` (hyper's own parser).
//!
//! What the service expects is in AWS's "Using the Lambda runtime API for custom runtimes":
//! `GET …/invocation/next` long-polls for an event; `POST …/invocation/{id}/response` or
//! `…/{id}/error` answers it. A 500 from the service means the runtime must exit. (`…/init/error`
//! is not used: nothing this function does at start can fail.)
//!
//! Nothing allocated for one invocation outlives it: the event, the request id and the trace id
//! are read into buffers the caller keeps and reuses, and the trace id is handed to the caller,
//! never put into the process environment.

use std::fmt;
use std::io::{self, Read, Write};
use std::net::TcpStream;

const VERSION_PATH: &str = "/2018-06-01/runtime";
const USER_AGENT: &str = concat!("alb-static-site/", env!("CARGO_PKG_VERSION"));
/// More than any Runtime API response head; a longer one is a broken peer, not a bigger event.
const MAX_HEAD: usize = 64 * 1024;
/// Lambda's own limit on an invocation payload (6 MB), with room for framing.
const MAX_BODY: usize = 7 * 1024 * 1024;
const MAX_HEADERS: usize = 64;

/// Why the client could not go on.
#[derive(Debug)]
pub enum ClientError {
    /// `AWS_LAMBDA_RUNTIME_API` is missing or not `host:port`.
    Config(String),
    /// The connection failed (after one reconnect).
    Io(io::Error),
    /// The service answered something that is not the HTTP it speaks.
    Protocol(&'static str),
    /// The service answered with an unexpected status.
    Status {
        what: &'static str,
        status: u16,
        body: String,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Config(why) => write!(f, "AWS_LAMBDA_RUNTIME_API: {why}"),
            ClientError::Io(e) => write!(f, "Runtime API connection: {e}"),
            ClientError::Protocol(why) => write!(f, "Runtime API answered badly: {why}"),
            ClientError::Status { what, status, body } => {
                write!(f, "Runtime API {what}: HTTP {status}: {body}")
            }
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io(e) => Some(e),
            _ => None,
        }
    }
}

impl From<io::Error> for ClientError {
    fn from(e: io::Error) -> Self {
        ClientError::Io(e)
    }
}

/// One invocation, read into buffers that are cleared and refilled for the next one.
#[derive(Debug, Default)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`.
    pub request_id: String,
    /// `Lambda-Runtime-Trace-Id` (X-Ray), empty when the service sent none.
    pub trace_id: String,
    /// The event, as sent.
    pub event: Vec<u8>,
}

/// What the service said to a response or error report that it did not accept.
#[derive(Debug, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub body: String,
}

/// The Runtime API endpoint, with one keep-alive connection to it.
pub struct RuntimeApi {
    host: String,
    conn: Option<Connection>,
    request: Vec<u8>,
    body: Vec<u8>,
}

impl RuntimeApi {
    /// The endpoint in `AWS_LAMBDA_RUNTIME_API`.
    pub fn from_env() -> Result<RuntimeApi, ClientError> {
        let value = std::env::var("AWS_LAMBDA_RUNTIME_API")
            .map_err(|_| ClientError::Config("not set".into()))?;
        RuntimeApi::new(&value)
    }

    /// An endpoint given as `host:port` (the form Lambda sets).
    pub fn new(host: &str) -> Result<RuntimeApi, ClientError> {
        let valid = match host.rsplit_once(':') {
            Some((name, port)) => !name.is_empty() && port.parse::<u16>().is_ok(),
            None => false,
        };
        if !valid || host.bytes().any(|b| b <= b' ' || b == b'/' || b >= 0x7f) {
            return Err(ClientError::Config(format!("{host:?} is not host:port")));
        }
        Ok(RuntimeApi {
            host: host.to_string(),
            conn: None,
            request: Vec::with_capacity(512),
            body: Vec::new(),
        })
    }

    /// Waits for the next invocation and reads it into `inv`.
    pub fn next(&mut self, inv: &mut Invocation) -> Result<(), ClientError> {
        inv.request_id.clear();
        inv.trace_id.clear();
        inv.event.clear();
        self.start_request("GET", format_args!("{VERSION_PATH}/invocation/next"), None);
        let mut head = Head::default();
        let lambda = LambdaHeaders {
            request_id: &mut inv.request_id,
            trace_id: &mut inv.trace_id,
        };
        self.exchange(&[], &mut head, &mut inv.event, Some(lambda))?;
        if head.status != 200 {
            return Err(status_error("next invocation", &head, &inv.event));
        }
        if inv.request_id.is_empty() {
            return Err(ClientError::Protocol(
                "an invocation without Lambda-Runtime-Aws-Request-Id",
            ));
        }
        Ok(())
    }

    /// Sends the function's response to invocation `request_id`. `Ok(Err(_))` when the
    /// service refused it (too large, unknown id): that invocation failed, the runtime goes on.
    pub fn respond(
        &mut self,
        request_id: &str,
        response: &[u8],
    ) -> Result<Result<(), Refused>, ClientError> {
        self.start_request(
            "POST",
            format_args!("{VERSION_PATH}/invocation/{request_id}/response"),
            Some((response.len(), None)),
        );
        self.post(response, "response")
    }

    /// Reports that invocation `request_id` failed (`error_type` such as `Runtime.Panic`).
    pub fn report_error(
        &mut self,
        request_id: &str,
        error_type: &str,
        message: &str,
    ) -> Result<Result<(), Refused>, ClientError> {
        let body = error_body(error_type, message);
        self.start_request(
            "POST",
            format_args!("{VERSION_PATH}/invocation/{request_id}/error"),
            Some((body.len(), Some(error_type))),
        );
        self.post(body.as_bytes(), "invocation error")
    }

    fn post(
        &mut self,
        body: &[u8],
        what: &'static str,
    ) -> Result<Result<(), Refused>, ClientError> {
        let mut head = Head::default();
        let mut answer = std::mem::take(&mut self.body);
        let result = self.exchange(body, &mut head, &mut answer, None);
        let outcome = result.and_then(|()| match head.status {
            200..=299 => Ok(Ok(())),
            400..=499 => Ok(Err(Refused {
                status: head.status,
                body: String::from_utf8_lossy(&answer).into_owned(),
            })),
            _ => Err(status_error(what, &head, &answer)),
        });
        answer.clear();
        self.body = answer;
        outcome
    }

    /// Writes the request line and headers into the reused request buffer.
    fn start_request(
        &mut self,
        method: &str,
        path: fmt::Arguments<'_>,
        body: Option<(usize, Option<&str>)>,
    ) {
        self.request.clear();
        // Writing into a Vec cannot fail.
        let _ = write!(
            self.request,
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nUser-Agent: {USER_AGENT}\r\n",
            self.host
        );
        if let Some((len, error_type)) = body {
            let _ = write!(
                self.request,
                "Content-Type: application/json\r\nContent-Length: {len}\r\n"
            );
            if let Some(t) = error_type {
                let _ = write!(self.request, "Lambda-Runtime-Function-Error-Type: {t}\r\n");
            }
        }
        self.request.extend_from_slice(b"\r\n");
    }

    /// Sends the prepared request with `body` and reads the answer. A keep-alive connection
    /// the service closed in the meantime is noticed before any byte of the answer arrives;
    /// then the request is sent once more on a new connection.
    fn exchange(
        &mut self,
        body: &[u8],
        head: &mut Head,
        out: &mut Vec<u8>,
        mut lambda: Option<LambdaHeaders<'_>>,
    ) -> Result<(), ClientError> {
        loop {
            let (mut conn, fresh) = match self.conn.take() {
                Some(conn) => (conn, false),
                None => {
                    let stream = TcpStream::connect(&self.host)?;
                    stream.set_nodelay(true)?;
                    (Connection::new(stream), true)
                }
            };
            match conn.round_trip(&self.request, body, head, out, lambda.as_mut()) {
                Ok(()) => {
                    if !head.close {
                        self.conn = Some(conn);
                    }
                    return Ok(());
                }
                // Only a reused connection can have gone stale; a new one failing is an error.
                Err(Failure::Stale(_)) if !fresh => {}
                Err(Failure::Stale(e)) => return Err(ClientError::Io(e)),
                Err(Failure::Broken(e)) => return Err(e),
            }
        }
    }
}

fn error_body(error_type: &str, message: &str) -> String {
    #[derive(serde::Serialize)]
    struct ErrorBody<'a> {
        #[serde(rename = "errorType")]
        error_type: &'a str,
        #[serde(rename = "errorMessage")]
        error_message: &'a str,
    }
    serde_json::to_string(&ErrorBody {
        error_type,
        error_message: message,
    })
    .unwrap_or_else(|_| String::from(r#"{"errorType":"Runtime.Unknown","errorMessage":""}"#))
}

fn status_error(what: &'static str, head: &Head, body: &[u8]) -> ClientError {
    let body = String::from_utf8_lossy(&body[..body.len().min(512)]).into_owned();
    ClientError::Status {
        what,
        status: head.status,
        body,
    }
}

/// Where the Lambda headers of `/next` go.
struct LambdaHeaders<'a> {
    request_id: &'a mut String,
    trace_id: &'a mut String,
}

#[derive(Default)]
struct Head {
    status: u16,
    close: bool,
}

enum Failure {
    /// Nothing of the answer arrived: the request may be sent again on a new connection.
    Stale(io::Error),
    Broken(ClientError),
}

impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Self {
        Failure::Broken(ClientError::Io(e))
    }
}

impl From<ClientError> for Failure {
    fn from(e: ClientError) -> Self {
        Failure::Broken(e)
    }
}

/// One connection and its read buffer (bytes `pos..filled` are read but not yet used).
struct Connection {
    stream: TcpStream,
    /// The response head, gathered until httparse has all of it.
    head: Vec<u8>,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
}

enum Framing {
    Length(usize),
    Chunked,
    UntilClose,
}

impl Connection {
    fn new(stream: TcpStream) -> Connection {
        Connection {
            stream,
            head: Vec::with_capacity(1024),
            buf: vec![0; 16 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
        }
    }

    fn round_trip(
        &mut self,
        request: &[u8],
        body: &[u8],
        head: &mut Head,
        out: &mut Vec<u8>,
        lambda: Option<&mut LambdaHeaders<'_>>,
    ) -> Result<(), Failure> {
        if let Err(e) = self
            .stream
            .write_all(request)
            .and_then(|()| self.stream.write_all(body))
        {
            return Err(Failure::Stale(e));
        }
        self.pos = 0;
        self.filled = 0;
        let head_buf = &mut self.head;
        head_buf.clear();
        let framing = loop {
            let got = match self.stream.read(&mut self.buf) {
                Ok(0) if head_buf.is_empty() => {
                    return Err(Failure::Stale(io::ErrorKind::UnexpectedEof.into()))
                }
                Ok(0) => return Err(ClientError::Protocol("the connection closed mid-head").into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if head_buf.is_empty() && is_reset(&e) => return Err(Failure::Stale(e)),
                Err(e) => return Err(e.into()),
            };
            head_buf.extend_from_slice(&self.buf[..got]);
            let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut response = httparse::Response::new(&mut headers);
            match response.parse(head_buf) {
                Ok(httparse::Status::Complete(len)) => {
                    let framing = read_head(&response, head, lambda)?;
                    // What came after the head stays in the read buffer.
                    let rest = head_buf.len() - len;
                    self.buf[..rest].copy_from_slice(&head_buf[len..]);
                    self.filled = rest;
                    break framing;
                }
                Ok(httparse::Status::Partial) if head_buf.len() <= MAX_HEAD => {}
                Ok(httparse::Status::Partial) => {
                    return Err(ClientError::Protocol("a response head over 64 KiB").into())
                }
                Err(_) => {
                    return Err(ClientError::Protocol("a response head that is not HTTP").into())
                }
            }
        };
        match framing {
            Framing::Length(len) => self.read_exact_into(out, len)?,
            Framing::Chunked => self.read_chunked(out)?,
            Framing::UntilClose => {
                head.close = true;
                loop {
                    let n = self.read_some()?;
                    if n == 0 {
                        break;
                    }
                    self.take_into(out, n)?;
                }
            }
        }
        Ok(())
    }

    /// Makes at least one unread byte available; 0 at the end of the stream.
    fn read_some(&mut self) -> io::Result<usize> {
        if self.pos < self.filled {
            return Ok(self.filled - self.pos);
        }
        self.pos = 0;
        self.filled = 0;
        loop {
            match self.stream.read(&mut self.buf) {
                Ok(n) => {
                    self.filled = n;
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    fn take_into(&mut self, out: &mut Vec<u8>, n: usize) -> Result<(), ClientError> {
        if out.len() + n > MAX_BODY {
            return Err(ClientError::Protocol(
                "a body over Lambda's 6 MB payload limit",
            ));
        }
        out.extend_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(())
    }

    fn read_exact_into(&mut self, out: &mut Vec<u8>, mut len: usize) -> Result<(), ClientError> {
        if len > MAX_BODY {
            return Err(ClientError::Protocol(
                "a body over Lambda's 6 MB payload limit",
            ));
        }
        out.reserve(len);
        while len > 0 {
            let available = self.read_some()?;
            if available == 0 {
                return Err(ClientError::Protocol("the connection closed mid-body"));
            }
            let n = available.min(len);
            self.take_into(out, n)?;
            len -= n;
        }
        Ok(())
    }

    /// Reads one line (up to and including CRLF) of chunk framing.
    fn read_line(&mut self, line: &mut Vec<u8>) -> Result<(), ClientError> {
        line.clear();
        loop {
            if self.read_some()? == 0 {
                return Err(ClientError::Protocol("the connection closed mid-chunk"));
            }
            let byte = self.buf[self.pos];
            self.pos += 1;
            line.push(byte);
            if line.ends_with(b"\r\n") {
                return Ok(());
            }
            if line.len() > 4096 {
                return Err(ClientError::Protocol("a chunk line over 4 KiB"));
            }
        }
    }

    fn read_chunked(&mut self, out: &mut Vec<u8>) -> Result<(), ClientError> {
        let mut line = Vec::new();
        loop {
            self.read_line(&mut line)?;
            let size = match httparse::parse_chunk_size(&line) {
                Ok(httparse::Status::Complete((_, size))) => {
                    usize::try_from(size).map_err(|_| ClientError::Protocol("a chunk too large"))?
                }
                _ => return Err(ClientError::Protocol("a bad chunk size line")),
            };
            if size == 0 {
                // Trailers (none expected) up to the blank line.
                loop {
                    self.read_line(&mut line)?;
                    if line == b"\r\n" {
                        return Ok(());
                    }
                }
            }
            self.read_exact_into(out, size)?;
            self.read_line(&mut line)?;
            if line != b"\r\n" {
                return Err(ClientError::Protocol("a chunk not followed by CRLF"));
            }
        }
    }
}

fn is_reset(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe
    )
}

/// Reads the status, framing and (for `/next`) the Lambda headers out of a parsed head.
fn read_head(
    response: &httparse::Response<'_, '_>,
    head: &mut Head,
    mut lambda: Option<&mut LambdaHeaders<'_>>,
) -> Result<Framing, ClientError> {
    head.status = response.code.unwrap_or(0);
    head.close = response.version == Some(0);
    let mut framing = Framing::UntilClose;
    for h in response.headers.iter() {
        let value = std::str::from_utf8(h.value)
            .map_err(|_| ClientError::Protocol("a header value that is not UTF-8"))?
            .trim();
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let len = value
                .parse()
                .map_err(|_| ClientError::Protocol("a bad Content-Length"))?;
            if !matches!(framing, Framing::Chunked) {
                framing = Framing::Length(len);
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            if value.eq_ignore_ascii_case("chunked") {
                framing = Framing::Chunked;
            } else {
                return Err(ClientError::Protocol(
                    "a transfer coding other than chunked",
                ));
            }
        } else if name.eq_ignore_ascii_case("connection") {
            head.close = value.eq_ignore_ascii_case("close");
        } else if let Some(l) = lambda.as_deref_mut() {
            if name.eq_ignore_ascii_case("lambda-runtime-aws-request-id") {
                if !is_safe_request_id(value) {
                    return Err(ClientError::Protocol(
                        "a request id that cannot go into a URL path",
                    ));
                }
                l.request_id.push_str(value);
            } else if name.eq_ignore_ascii_case("lambda-runtime-trace-id") {
                l.trace_id.push_str(value);
            }
        }
    }
    // A 204 or 304 has no body whatever it says.
    if matches!(head.status, 204 | 304) {
        framing = Framing::Length(0);
    }
    Ok(framing)
}

/// A request id goes into the next request's path, so it may hold only URL-safe bytes.
fn is_safe_request_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 256
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
}

#[cfg(test)]
mod tests;
