//! ALB's public keys, fetched over HTTPS and kept: the [`KeyStore`] the Lambda shell hands the
//! login check. Each key is fetched once per process (ALB's keys never change under a `kid`);
//! a `kid` the server does not know is remembered for a minute, and a failed fetch for a few
//! seconds, so a flood of forged tokens or an outage costs one fetch, not one per request. The
//! cache is bounded: a flood of distinct `kid`s evicts the remembered failures first.
//!
//! The request itself is one HTTP/1.0 GET over rustls, written here rather than with an HTTP
//! client crate: the only URL is one the settings checked, the answer is a 178-byte PEM, and
//! ureq (with url and idna) added 370 KB to the binary on top of TLS (2,499,216 bytes against
//! 2,129,184 without it, in the same release build). HTTP/1.0 keeps the answer unchunked.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use site_server::auth::{KeyError, KeyStore, PublicKey};

/// The longest the function waits for a key, per step (Lambda's timeout is seconds).
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// How long an unknown `kid` is answered from memory.
const UNKNOWN_FOR: Duration = Duration::from_secs(60);
/// How long a failed fetch is answered from memory.
const FAILED_FOR: Duration = Duration::from_secs(5);
/// The most `kid`s remembered.
const CAPACITY: usize = 64;
/// The longest answer read, headers included (a P-256 PEM is 178 bytes).
const MAX_ANSWER: u64 = 16 * 1024;

enum Cached {
    Key(PublicKey),
    Failed { error: KeyError, until: Instant },
}

pub struct HttpKeys {
    /// The key URL with `{kid}` still in it (checked by `site_core::auth::check_key_url`).
    url: String,
    tls: Arc<rustls::ClientConfig>,
    cache: Mutex<HashMap<String, Cached>>,
}

impl HttpKeys {
    /// A fetcher for `url`; fails only if TLS cannot be set up at all.
    pub fn new(url: &str) -> Result<HttpKeys, String> {
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
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
            cache: Mutex::new(HashMap::new()),
        })
    }

    fn fetch(&self, kid: &str) -> Result<PublicKey, KeyError> {
        let url = self.url.replace("{kid}", kid);
        let unavailable = |why: String| KeyError::Unavailable(format!("{url}: {why}"));
        let answer = get(&url, &self.tls).map_err(unavailable)?;
        match answer.status {
            200 => PublicKey::from_pem(&answer.body).map_err(|e| match e {
                KeyError::Unavailable(why) => unavailable(why),
                other => other,
            }),
            // What AWS's key endpoint answers for a kid it never issued.
            403 | 404 => Err(KeyError::Unknown),
            code => Err(unavailable(format!("HTTP {code}"))),
        }
    }
}

impl KeyStore for HttpKeys {
    fn key(&self, kid: &str) -> Result<PublicKey, KeyError> {
        let now = Instant::now();
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            match cache.get(kid) {
                Some(Cached::Key(key)) => return Ok(key.clone()),
                Some(Cached::Failed { error, until }) if *until > now => return Err(error.clone()),
                _ => {}
            }
        }
        let fetched = self.fetch(kid);
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CAPACITY && !cache.contains_key(kid) {
            cache.retain(|_, c| matches!(c, Cached::Key(_)));
            if cache.len() >= CAPACITY {
                // Only keys left: forget one (fetched again if it is ever needed).
                if let Some(k) = cache.keys().next().cloned() {
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

/// GET `url` (https, or http to this machine) and read the whole answer, every step bounded by
/// [`FETCH_TIMEOUT`].
fn get(url: &str, tls: &Arc<rustls::ClientConfig>) -> Result<Answer, String> {
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
    let addr = (host_name, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {host_name}: {e}"))?
        .next()
        .ok_or_else(|| format!("{host_name} has no address"))?;
    let tcp = TcpStream::connect_timeout(&addr, FETCH_TIMEOUT).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(FETCH_TIMEOUT))
        .and_then(|()| tcp.set_write_timeout(Some(FETCH_TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: {authority}\r\nAccept: application/x-pem-file, */*\r\nUser-Agent: alb-static-site\r\n\r\n"
    );
    let started = Instant::now();
    let mut raw = Vec::new();
    if secure {
        let name = rustls::pki_types::ServerName::try_from(host_name.to_string())
            .map_err(|e| format!("bad host name {host_name}: {e}"))?;
        let conn = rustls::ClientConnection::new(tls.clone(), name).map_err(|e| e.to_string())?;
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        read_bounded(&mut stream, &mut raw, started)?;
    } else {
        let mut stream = tcp;
        stream
            .write_all(request.as_bytes())
            .map_err(|e| e.to_string())?;
        read_bounded(&mut stream, &mut raw, started)?;
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

/// Reads to the end of the answer, at most [`MAX_ANSWER`] bytes, and in all at most twice
/// [`FETCH_TIMEOUT`] (a server trickling bytes cannot hold the request longer).
fn read_bounded(stream: &mut impl Read, raw: &mut Vec<u8>, started: Instant) -> Result<(), String> {
    let mut chunk = [0u8; 4096];
    loop {
        if started.elapsed() > FETCH_TIMEOUT * 2 {
            return Err("the key server is too slow".into());
        }
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
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}
