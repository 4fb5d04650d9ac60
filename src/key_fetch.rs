//! ALB's public keys, fetched over HTTPS and kept: the [`KeyStore`] the Lambda shell hands the
//! login check. Each key is fetched once per process (ALB's keys never change under a `kid`);
//! a `kid` the server does not know is remembered for a minute, and a failed fetch for a few
//! seconds. Fetches are rationed per instance ([`FETCHES_PER_WINDOW`] a minute): a flood of
//! forged tokens, each with a new `kid`, costs that many fetches, and past the ration a `kid`
//! not yet known gets 503 without one. One deadline ([`FETCH_BUDGET`]) covers the whole fetch
//! (DNS, connect, TLS, request, answer), so a key server or resolver that hangs or trickles
//! costs a request at most that long, and the function answers 503 well inside its timeout.
//!
//! The request itself is one HTTP/1.0 GET over rustls, written here rather than with an HTTP
//! client crate: the only URL is one the settings checked, the answer is a 178-byte PEM, and
//! ureq (with url and idna) added 370 KB to the binary on top of TLS (2,499,216 bytes against
//! 2,129,184 without it, in the same release build). HTTP/1.0 keeps the answer unchunked.
//!
//! The trusted roots and the resolver are handed in: the binary passes only the Mozilla roots
//! and the system resolver ([`HttpKeys::new`]) and has no setting, variable or flag that adds a
//! root; tests hand a test CA and a resolver they can stall to [`HttpKeys::with`].

use std::collections::{HashMap, VecDeque};
use std::io::{self, Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use site_server::auth::{KeyError, KeyStore, PublicKey};

/// The longest one fetch takes, everything included (Lambda's timeout is seconds).
pub const FETCH_BUDGET: Duration = Duration::from_secs(3);
/// How long an unknown `kid` is answered from memory.
const UNKNOWN_FOR: Duration = Duration::from_secs(60);
/// How long a failed fetch is answered from memory.
const FAILED_FOR: Duration = Duration::from_secs(5);
/// The most fetches per [`FETCH_WINDOW`] per instance.
pub const FETCHES_PER_WINDOW: usize = 10;
const FETCH_WINDOW: Duration = Duration::from_secs(60);
/// The most `kid`s remembered. With the fetch ration, at most 10 + 10 misses are alive at once,
/// so a remembered miss is never pushed out by a flood.
const CAPACITY: usize = 64;
/// The longest answer read, headers included (a P-256 PEM is 178 bytes).
const MAX_ANSWER: u64 = 16 * 1024;

/// Resolves a host name and port to addresses (the system's resolver in the binary).
pub type Resolver = dyn Fn(&str, u16) -> io::Result<Vec<SocketAddr>> + Send + Sync;

enum Cached {
    Key(PublicKey),
    Failed { error: KeyError, until: Instant },
}

#[derive(Default)]
struct State {
    cache: HashMap<String, Cached>,
    /// When the fetches of the last [`FETCH_WINDOW`] started, oldest first.
    fetches: VecDeque<Instant>,
}

/// The mutable state is this one mutex, held only to look up and record (never across a
/// fetch); a panic while it is held cannot leave it half-written (each change is one insert or
/// remove), so a poisoned lock is taken over as it is.
pub struct HttpKeys {
    /// The key URL with `{kid}` still in it (checked by `site_core::auth::check_key_url`).
    url: String,
    tls: Arc<rustls::ClientConfig>,
    resolve: Arc<Resolver>,
    state: Mutex<State>,
}

fn system_resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    (host, port).to_socket_addrs().map(Iterator::collect)
}

impl HttpKeys {
    /// A fetcher for `url` trusting the Mozilla roots; fails only if TLS cannot be set up.
    pub fn new(url: &str) -> Result<HttpKeys, String> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        HttpKeys::with(url, roots, Arc::new(system_resolve))
    }

    /// A fetcher for `url` trusting `roots` only, resolving names with `resolve`.
    pub fn with(
        url: &str,
        roots: rustls::RootCertStore,
        resolve: Arc<Resolver>,
    ) -> Result<HttpKeys, String> {
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS for the key fetch: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        Ok(HttpKeys {
            url: url.to_string(),
            tls: Arc::new(tls),
            resolve,
            state: Mutex::new(State::default()),
        })
    }

    fn fetch(&self, kid: &str) -> Result<PublicKey, KeyError> {
        let url = self.url.replace("{kid}", kid);
        let unavailable = |why: String| KeyError::Unavailable(format!("{url}: {why}"));
        let deadline = Instant::now() + FETCH_BUDGET;
        let answer = get(&url, &self.tls, &self.resolve, deadline).map_err(unavailable)?;
        match answer.status {
            200 => PublicKey::from_pem(&answer.body).map_err(|e| match e {
                KeyError::Unavailable(why) => unavailable(why),
                other => other,
            }),
            // What AWS's key endpoint answers for a kid it never issued.
            403 | 404 => Err(KeyError::Unknown),
            // Redirects included: the key is taken only from the URL in the settings.
            code => Err(unavailable(format!("HTTP {code}"))),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl KeyStore for HttpKeys {
    fn key(&self, kid: &str) -> Result<PublicKey, KeyError> {
        let now = Instant::now();
        {
            let mut state = self.state();
            match state.cache.get(kid) {
                Some(Cached::Key(key)) => return Ok(key.clone()),
                Some(Cached::Failed { error, until }) if *until > now => return Err(error.clone()),
                _ => {}
            }
            while state
                .fetches
                .front()
                .is_some_and(|t| now.duration_since(*t) >= FETCH_WINDOW)
            {
                state.fetches.pop_front();
            }
            if state.fetches.len() >= FETCHES_PER_WINDOW {
                return Err(KeyError::Unavailable(format!(
                    "{FETCHES_PER_WINDOW} key fetches in the last {} s: no more until one is a \
                     minute old (a flood of unknown kids?)",
                    FETCH_WINDOW.as_secs()
                )));
            }
            state.fetches.push_back(now);
        }
        let fetched = self.fetch(kid);
        let mut state = self.state();
        let cache = &mut state.cache;
        if cache.len() >= CAPACITY && !cache.contains_key(kid) {
            let now = Instant::now();
            cache.retain(|_, c| !matches!(c, Cached::Failed { until, .. } if *until <= now));
            if cache.len() >= CAPACITY {
                // Forget the failure that ends first, or else a key (fetched again if it is
                // ever needed).
                let victim = cache
                    .iter()
                    .filter_map(|(k, c)| match c {
                        Cached::Failed { until, .. } => Some((*until, k)),
                        Cached::Key(_) => None,
                    })
                    .min()
                    .map(|(_, k)| k.clone())
                    .or_else(|| cache.keys().next().cloned());
                if let Some(k) = victim {
                    cache.remove(&k);
                }
            }
        }
        let until = now
            + match &fetched {
                Err(KeyError::Unknown) => UNKNOWN_FOR,
                _ => FAILED_FOR,
            };
        let entry = match &fetched {
            Ok(key) => Cached::Key(key.clone()),
            Err(error) => Cached::Failed {
                error: error.clone(),
                until,
            },
        };
        cache.insert(kid.to_string(), entry);
        fetched
    }
}

struct Answer {
    status: u16,
    body: String,
}

/// The time left before `deadline`, or an error once it has passed.
fn left(deadline: Instant) -> io::Result<Duration> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::TimedOut,
                format!(
                    "no answer within {} s (the key fetch's deadline)",
                    FETCH_BUDGET.as_secs()
                ),
            )
        })
}

/// A TCP stream whose every read and write (the TLS handshake's included) ends by `deadline`:
/// each waits at most the time left, so neither a silent nor a trickling server holds it
/// longer.
struct Deadlined {
    tcp: TcpStream,
    deadline: Instant,
}

impl Read for Deadlined {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.tcp.set_read_timeout(Some(left(self.deadline)?))?;
        self.tcp.read(buf)
    }
}

impl Write for Deadlined {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.set_write_timeout(Some(left(self.deadline)?))?;
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

/// The addresses of `host`, by `deadline`. The resolver runs on a thread of its own, so one
/// that never answers (getaddrinfo has no timeout of its own) costs the request no more than the
/// deadline; the thread ends when the resolver does, and the fetch ration bounds how many can
/// be waiting at once.
fn resolve(
    host: &str,
    port: u16,
    resolver: &Arc<Resolver>,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, String> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let resolver = Arc::clone(resolver);
    let name = host.to_string();
    std::thread::Builder::new()
        .name("key-fetch-dns".into())
        .spawn(move || {
            let _ = tx.send(resolver(&name, port));
        })
        .map_err(|e| format!("cannot resolve {host}: {e}"))?;
    let wait = left(deadline).map_err(|e| e.to_string())?;
    match rx.recv_timeout(wait) {
        Ok(Ok(addrs)) if !addrs.is_empty() => Ok(addrs),
        Ok(Ok(_)) => Err(format!("{host} has no address")),
        Ok(Err(e)) => Err(format!("cannot resolve {host}: {e}")),
        Err(_) => Err(format!(
            "cannot resolve {host} within {} s (the key fetch's deadline)",
            FETCH_BUDGET.as_secs()
        )),
    }
}

/// GET `url` (https, or http to this machine) and read the whole answer, all by `deadline`.
fn get(
    url: &str,
    tls: &Arc<rustls::ClientConfig>,
    resolver: &Arc<Resolver>,
    deadline: Instant,
) -> Result<Answer, String> {
    let (secure, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err("not an http(s) URL".into());
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse::<u16>() {
            Ok(port) => (h, port),
            Err(_) => (authority, if secure { 443 } else { 80 }),
        },
        _ => (authority, if secure { 443 } else { 80 }),
    };
    let host_name = host.trim_start_matches('[').trim_end_matches(']');
    let addrs = resolve(host_name, port, resolver, deadline)?;
    let mut last_error = String::new();
    let mut connected = None;
    for addr in addrs {
        let wait = left(deadline).map_err(|e| e.to_string())?;
        match TcpStream::connect_timeout(&addr, wait) {
            Ok(tcp) => {
                connected = Some(tcp);
                break;
            }
            Err(e) => last_error = format!("cannot connect to {addr}: {e}"),
        }
    }
    let tcp = connected.ok_or(last_error)?;
    let mut io = Deadlined { tcp, deadline };
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/x-pem-file, */*\r\nUser-Agent: alb-static-site\r\n\r\n"
    );
    let mut raw = Vec::new();
    if secure {
        let name = rustls::pki_types::ServerName::try_from(host_name.to_string())
            .map_err(|e| format!("bad host name {host_name}: {e}"))?;
        let conn = rustls::ClientConnection::new(tls.clone(), name).map_err(|e| e.to_string())?;
        let mut stream = rustls::StreamOwned::new(conn, io);
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        read_bounded(&mut stream, &mut raw)?;
    } else {
        io.write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        read_bounded(&mut io, &mut raw)?;
    }
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(&raw) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("the answer ended inside its headers".into()),
        Err(e) => return Err(format!("not an HTTP answer: {e}")),
    };
    let status = response.code.unwrap_or(0);
    let body = String::from_utf8_lossy(&raw[head_len..]).into_owned();
    Ok(Answer { status, body })
}

/// Reads to the end of the answer, at most [`MAX_ANSWER`] bytes (the stream enforces the
/// deadline).
fn read_bounded(stream: &mut impl Read, raw: &mut Vec<u8>) -> Result<(), String> {
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                raw.extend_from_slice(&chunk[..n]);
                if raw.len() as u64 > MAX_ANSWER {
                    return Err(format!("answer longer than {MAX_ANSWER} bytes"));
                }
            }
            // A TLS server that closes without close_notify: the body is complete only if it
            // was all read; the PEM parse decides.
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}
