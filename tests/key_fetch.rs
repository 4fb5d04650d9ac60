//! Fetching ALB's public key, two ways:
//! - the built binary, from a key server this test runs on 127.0.0.1, as `SITE_AUTH_KEY_URL`
//!   points it there (the real one is ALB's regional HTTPS endpoint);
//! - the binary's own fetcher (`src/key_fetch.rs`, compiled in here) handed a test CA and a
//!   resolver the test controls, behind the login check of a private site planned in memory,
//!   so one process sees its cache and its fetch ration under a flood.
//!
//! A key server that answers the key lets a valid login in; one that hangs, trickles, stalls
//! the TLS handshake, presents a certificate from a CA the fetcher does not trust, redirects,
//! or answers garbage makes the site fail closed with 503 within the fetch's deadline; one
//! that does not know the `kid` makes it a 401. None is ever a 200 for a bad token.

mod common;

#[allow(dead_code)]
#[path = "../src/key_fetch.rs"]
mod key_fetch;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use common::{check_response, status, AlbEvent};
use key_fetch::HttpKeys;
use local_alb::kit::login::{user_claims, AlbSigner, PADDED_URL_SAFE};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::{json, Value};
use site_core::plan::memory;
use site_core::site::Site;
use site_server::auth::{Guard, KeyError, KeyStore, Policy};
use site_server::handler;

use base64::Engine;

const SIGNER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/site/0123456789abcdef";
const OTHER_SIGNER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/other/0123456789abcdef";
const KID: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// What the key server does with each connection.
#[derive(Clone)]
enum KeyServer {
    /// The key under `/keys/{KID}`, 404 for any other path.
    Serves,
    /// Accepts, reads the request, never answers.
    Hangs,
    Garbage,
    NotFound,
    /// 403 for everything, as S3 answers a key it does not have when listing is denied.
    Forbidden,
    Fails,
    /// The key, one byte a second.
    Trickles,
    /// 200 with a body this many bytes long.
    Huge(usize),
    /// A redirect to this URL.
    Redirects(String),
    /// This body with 200.
    Answers(String),
}

/// Over plain HTTP or TLS, and with which certificate.
#[derive(Clone, Copy)]
enum Transport {
    Plain,
    /// TLS with the certificate the test CA signed.
    TestCa,
    /// TLS with the certificate of a CA nobody trusts.
    OtherCa,
    /// Reads the ClientHello, sends the first bytes of its answer, then says nothing more.
    StallsHandshake,
}

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

fn server_tls(ca: &str) -> Arc<rustls::ServerConfig> {
    let certs = vec![CertificateDer::from_pem_file(fixture(&format!("{ca}-server.pem"))).unwrap()];
    let key = PrivateKeyDer::from_pem_file(fixture(&format!("{ca}-server.key"))).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .unwrap();
    Arc::new(config)
}

/// The roots a test fetcher trusts: the test CA only.
fn test_roots() -> rustls::RootCertStore {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(fixture("test-ca.pem")).unwrap())
        .unwrap();
    roots
}

fn answer_for(behaviour: &KeyServer, path: &str, pem: &str) -> Option<String> {
    Some(match behaviour {
        KeyServer::Serves | KeyServer::Trickles if path == format!("/keys/{KID}") => {
            format!(
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{pem}",
                pem.len()
            )
        }
        KeyServer::Serves | KeyServer::Trickles | KeyServer::NotFound => {
            "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".into()
        }
        KeyServer::Garbage => "HTTP/1.0 200 OK\r\n\r\nthis is not a key".into(),
        KeyServer::Fails => "HTTP/1.0 500 Oops\r\nContent-Length: 0\r\n\r\n".into(),
        KeyServer::Forbidden => "HTTP/1.0 403 Forbidden\r\nContent-Length: 0\r\n\r\n".into(),
        KeyServer::Hangs => return None,
        KeyServer::Huge(n) => format!("HTTP/1.0 200 OK\r\n\r\n{}", "A".repeat(*n)),
        KeyServer::Redirects(to) => {
            format!("HTTP/1.0 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\n\r\n")
        }
        KeyServer::Answers(body) => format!("HTTP/1.0 200 OK\r\n\r\n{body}"),
    })
}

/// Reads an HTTP request's head; returns its path.
fn read_request(stream: &mut impl Read) -> String {
    let mut request = Vec::new();
    let mut byte = [0u8; 1];
    while !request.ends_with(b"\r\n\r\n") && request.len() < 8192 {
        match stream.read(&mut byte) {
            Ok(1) => request.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&request)
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string()
}

fn serve_one(stream: &mut (impl Read + Write), behaviour: &KeyServer, pem: &str) {
    let path = read_request(stream);
    let Some(answer) = answer_for(behaviour, &path, pem) else {
        // Hold the connection open, say nothing, until the client gives up.
        let _ = stream.read(&mut [0u8; 1]);
        return;
    };
    if matches!(behaviour, KeyServer::Trickles) {
        for byte in answer.as_bytes() {
            if stream
                .write_all(&[*byte])
                .and_then(|()| stream.flush())
                .is_err()
            {
                return;
            }
            thread::sleep(Duration::from_secs(1));
        }
    } else {
        let _ = stream.write_all(answer.as_bytes());
        let _ = stream.flush();
    }
}

/// Starts a key server; returns its port and a count of the connections it got. Each
/// connection is served on a thread of its own, so one that hangs holds up no other.
fn start_key_server(
    behaviour: KeyServer,
    transport: Transport,
    pem: String,
) -> (u16, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&hits);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut tcp) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let (behaviour, pem) = (behaviour.clone(), pem.clone());
            thread::spawn(move || match transport {
                Transport::Plain => serve_one(&mut tcp, &behaviour, &pem),
                Transport::TestCa | Transport::OtherCa => {
                    let ca = if matches!(transport, Transport::TestCa) {
                        "test"
                    } else {
                        "other"
                    };
                    let conn = rustls::ServerConnection::new(server_tls(ca)).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    serve_one(&mut tls, &behaviour, &pem);
                }
                Transport::StallsHandshake => {
                    let mut conn = rustls::ServerConnection::new(server_tls("test")).unwrap();
                    while conn.is_handshaking() && !conn.wants_write() {
                        if conn.read_tls(&mut tcp).unwrap_or(0) == 0 {
                            return;
                        }
                        if conn.process_new_packets().is_err() {
                            return;
                        }
                    }
                    let mut flight = Vec::new();
                    let _ = conn.write_tls(&mut flight);
                    let _ = tcp.write_all(&flight[..flight.len().min(20)]);
                    let _ = tcp.read(&mut [0u8; 1]);
                }
            });
        }
    });
    (port, hits)
}

fn key_server(behaviour: KeyServer, pem: String) -> (String, Arc<AtomicU32>) {
    let (port, hits) = start_key_server(behaviour, Transport::Plain, pem);
    (format!("http://127.0.0.1:{port}/keys/{{kid}}"), hits)
}

/// The embedded site's answer to `event` through `bootstrap invoke`, made private by
/// `SITE_AUTH_SIGNER`, with keys from `key_url`.
fn invoke(event: &Value, key_url: &str, env: &[(&str, &str)]) -> Value {
    let signer = [
        ("SITE_AUTH_SIGNER", SIGNER),
        ("SITE_AUTH_KEY_URL", key_url),
        ("AWS_REGION", "us-east-1"),
    ];
    let env: Vec<(&str, &str)> = signer.iter().chain(env).copied().collect();
    let out = common::bootstrap_invoke(&event.to_string(), &env, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_response(&String::from_utf8(out.stdout).unwrap()).unwrap()
}

fn signer(seed: u8) -> AlbSigner {
    AlbSigner::from_seed(seed, KID, SIGNER)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

fn token(signer: &AlbSigner) -> String {
    let exp = now() + 300;
    signer.token(&user_claims("alice@example.com", &[], exp), exp)
}

fn login_event(signer: &AlbSigner) -> Value {
    AlbEvent::new("GET", "/")
        .header("x-amzn-oidc-data", &token(signer))
        .to_json()
}

// The built binary.

#[test]
fn a_valid_login_is_let_in_with_the_fetched_key() {
    let (url, hits) = key_server(KeyServer::Serves, signer(3).public_pem());
    let r = invoke(&login_event(&signer(3)), &url, &[]);
    assert_eq!(status(&r), 200);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_token_signed_by_another_key_is_refused_with_the_fetched_key() {
    let (url, _) = key_server(KeyServer::Serves, signer(3).public_pem());
    assert_eq!(status(&invoke(&login_event(&signer(4)), &url, &[])), 401);
}

#[test]
fn a_kid_the_key_server_does_not_know_is_401() {
    let (url, _) = key_server(KeyServer::NotFound, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url, &[])), 401);
}

#[test]
fn a_key_server_that_hangs_fails_closed_with_503() {
    let (url, _) = key_server(KeyServer::Hangs, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url, &[])), 503);
}

#[test]
fn a_key_server_answering_garbage_fails_closed_with_503() {
    let (url, _) = key_server(KeyServer::Garbage, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url, &[])), 503);
}

#[test]
fn a_key_server_error_fails_closed_with_503() {
    let (url, _) = key_server(KeyServer::Fails, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url, &[])), 503);
}

#[test]
fn no_key_server_at_all_fails_closed_with_503() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let url = format!("http://127.0.0.1:{port}/keys/{{kid}}");
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url, &[])), 503);
}

#[test]
fn a_plain_http_server_asked_over_https_fails_closed_with_503() {
    let (url, hits) = key_server(KeyServer::Serves, signer(3).public_pem());
    let url = url.replace("http://", "https://");
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url, &[])), 503);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// The certificate the in-process fetcher below takes when handed the test CA: the binary
/// takes only the Mozilla roots, and no variable adds one (not even the usual OpenSSL ones
/// pointed at the test CA).
#[test]
fn the_binary_refuses_a_certificate_from_a_ca_outside_the_mozilla_roots() {
    let (port, hits) =
        start_key_server(KeyServer::Serves, Transport::TestCa, signer(3).public_pem());
    let url = format!("https://localhost:{port}/keys/{{kid}}");
    let ca = fixture("test-ca.pem");
    let ca = ca.to_str().unwrap();
    let dir = fixture("");
    let env = [
        ("SSL_CERT_FILE", ca),
        ("SSL_CERT_DIR", dir.to_str().unwrap()),
        ("CURL_CA_BUNDLE", ca),
        ("REQUESTS_CA_BUNDLE", ca),
        ("AWS_CA_BUNDLE", ca),
    ];
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url, &env)), 503);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_malformed_signer_stops_the_binary_before_it_answers() {
    let out = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .args(["invoke", "-"])
        .env("SITE_AUTH_SIGNER", "not-an-arn")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SITE_AUTH_SIGNER"));
}

// The binary's fetcher in this process, behind the login check of a private site.

/// The most a failed fetch may take: its deadline is 3 s; twice that leaves room for a slow
/// machine and still catches a fetch bounded only per step, or not at all.
const WITHIN_THE_DEADLINE: Duration = Duration::from_secs(6);

/// A resolver that knows only `localhost` (as 127.0.0.1).
fn localhost_only() -> Arc<key_fetch::Resolver> {
    Arc::new(|host: &str, port: u16| {
        if host == "localhost" {
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
        } else {
            Err(std::io::Error::other(format!("no such host {host}")))
        }
    })
}

fn fetcher(url: &str) -> HttpKeys {
    HttpKeys::with(url, test_roots(), localhost_only()).unwrap()
}

/// A fetcher for a key server started with `behaviour` over `transport`, serving signer 3's key.
fn fetcher_for(behaviour: KeyServer, transport: Transport) -> (HttpKeys, Arc<AtomicU32>) {
    let (port, hits) = start_key_server(behaviour, transport, signer(3).public_pem());
    let scheme = if matches!(transport, Transport::Plain) {
        "http"
    } else {
        "https"
    };
    (
        fetcher(&format!("{scheme}://localhost:{port}/keys/{{kid}}")),
        hits,
    )
}

/// A private site planned in memory, and its login settings (made once: a flood asks it 1,000
/// times).
fn private_site() -> &'static (Site, Policy) {
    static SITE: OnceLock<(Site, Policy)> = OnceLock::new();
    SITE.get_or_init(|| {
        let site = memory::from_files(
            &[("index.html", b"<h1>private</h1>".as_slice())],
            &format!("[auth]\nsigner = \"{SIGNER}\"\n"),
        )
        .expect("the site plans");
        let policy =
            Policy::from_settings(site.options.auth.as_ref(), None, None, Some("us-east-1"))
                .unwrap()
                .unwrap();
        (site, policy)
    })
}

/// The status of a request for `/` with `token` from the private site with `keys`, checked to
/// be one ALB accepts, and how long it took.
fn ask(keys: &dyn KeyStore, token: &str) -> (u64, Duration) {
    let (site, policy) = private_site();
    let guard = Guard { policy, keys };
    let event = AlbEvent::new("GET", "/")
        .header("x-amzn-oidc-data", token)
        .to_json()
        .to_string();
    let started = Instant::now();
    let (response, _) = handler::handle_with(
        site,
        &event,
        &handler::Shell {
            guard: Some(&guard),
            now: now(),
            ..Default::default()
        },
    );
    let took = started.elapsed();
    let text = serde_json::to_string(&response).unwrap();
    let v = check_response(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (status(&v), took)
}

fn assert_fails_closed_in_time(keys: &HttpKeys) {
    let (code, took) = ask(keys, &token(&signer(3)));
    assert_eq!(code, 503);
    assert!(took < WITHIN_THE_DEADLINE, "took {took:?}");
}

#[test]
fn a_certificate_from_the_ca_the_fetcher_trusts_lets_the_login_in() {
    let (keys, hits) = fetcher_for(KeyServer::Serves, Transport::TestCa);
    assert_eq!(ask(&keys, &token(&signer(3))).0, 200);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_certificate_from_a_ca_the_fetcher_does_not_trust_fails_closed_with_503() {
    let (keys, hits) = fetcher_for(KeyServer::Serves, Transport::OtherCa);
    assert_fails_closed_in_time(&keys);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_certificate_for_another_name_fails_closed_with_503() {
    // The test CA's certificate names localhost and 127.0.0.1; asked as keys.invalid (resolved
    // to the same server), the name does not match.
    let (port, _) = start_key_server(KeyServer::Serves, Transport::TestCa, String::new());
    let resolve: Arc<key_fetch::Resolver> =
        Arc::new(|_: &str, port: u16| -> std::io::Result<Vec<SocketAddr>> {
            Ok(vec![SocketAddr::from(([127, 0, 0, 1], port))])
        });
    let keys = HttpKeys::with(
        &format!("https://keys.invalid:{port}/keys/{{kid}}"),
        test_roots(),
        resolve,
    )
    .unwrap();
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_tls_server_that_accepts_and_never_answers_fails_closed_within_the_deadline() {
    let (keys, _) = fetcher_for(KeyServer::Hangs, Transport::TestCa);
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_server_that_accepts_and_never_answers_fails_closed_within_the_deadline() {
    let (keys, _) = fetcher_for(KeyServer::Hangs, Transport::Plain);
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_server_that_stalls_mid_handshake_fails_closed_within_the_deadline() {
    let (keys, _) = fetcher_for(KeyServer::Serves, Transport::StallsHandshake);
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_server_sending_a_byte_a_second_fails_closed_within_the_deadline() {
    // Every read gets a byte well within any per-read timeout; only a deadline for the whole
    // fetch stops it (the answer would take minutes).
    let (keys, _) = fetcher_for(KeyServer::Trickles, Transport::Plain);
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_server_sending_a_byte_a_second_over_tls_fails_closed_within_the_deadline() {
    let (keys, _) = fetcher_for(KeyServer::Trickles, Transport::TestCa);
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_resolver_that_never_answers_fails_closed_within_the_deadline() {
    let never: Arc<key_fetch::Resolver> =
        Arc::new(|_: &str, _: u16| -> std::io::Result<Vec<SocketAddr>> {
            thread::sleep(Duration::from_secs(3600));
            Err(std::io::Error::other("too late"))
        });
    let keys = HttpKeys::with("https://keys.example:443/{kid}", test_roots(), never).unwrap();
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_body_over_64_kib_fails_closed_with_503() {
    let (keys, _) = fetcher_for(KeyServer::Huge(65 * 1024), Transport::Plain);
    assert_fails_closed_in_time(&keys);
}

/// The right key, then blank lines: padding a PEM parser skips, so only the size can refuse it.
fn padded_key(answer_bytes: usize) -> String {
    let pem = signer(3).public_pem();
    format!("{pem}{}", "\n".repeat(answer_bytes - pem.len()))
}

#[test]
fn the_right_key_in_an_answer_just_under_16_kib_lets_the_login_in() {
    // The answer's headers take a few hundred bytes of the cap.
    let (keys, _) = fetcher_for(KeyServer::Answers(padded_key(15 * 1024)), Transport::Plain);
    assert_eq!(ask(&keys, &token(&signer(3))).0, 200);
}

#[test]
fn the_right_key_in_an_answer_over_16_kib_fails_closed_with_503() {
    let (keys, _) = fetcher_for(KeyServer::Answers(padded_key(17 * 1024)), Transport::Plain);
    assert_fails_closed_in_time(&keys);
}

#[test]
fn a_redirect_to_another_host_is_not_followed() {
    let (elsewhere, elsewhere_hits) = key_server(KeyServer::Serves, signer(3).public_pem());
    let to = elsewhere.replace("{kid}", KID);
    let (keys, hits) = fetcher_for(KeyServer::Redirects(to), Transport::TestCa);
    assert_fails_closed_in_time(&keys);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    assert_eq!(elsewhere_hits.load(Ordering::SeqCst), 0);
}

#[test]
fn a_pem_that_is_not_a_p256_key_fails_closed_with_503() {
    // An RSA key and a P-384 key, as PEM PUBLIC KEY documents.
    for pem in [
        "-----BEGIN PUBLIC KEY-----\nMFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf\n9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQ==\n-----END PUBLIC KEY-----\n",
        "-----BEGIN PUBLIC KEY-----\nMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAECXqCRIHVxm7j5LGmJA+BgJdIfz5vYkGo\n/5Y+6y/hGJmbxw682OKbLMzufBg0XaApIvF1TSvK5vARol1CPvjEtavVLWMLNWwD\noOoI7RncLzfsiH0qhyqFWkWiYejWIqHL\n-----END PUBLIC KEY-----\n",
    ] {
        let (keys, _) = fetcher_for(KeyServer::Answers(pem.into()), Transport::Plain);
        assert_fails_closed_in_time(&keys);
    }
}

#[test]
fn an_answer_of_100_keys_fails_closed_with_503() {
    let pems: String = (0..100u8)
        .map(|seed| AlbSigner::from_seed(seed, KID, SIGNER).public_pem())
        .collect();
    let (keys, _) = fetcher_for(KeyServer::Answers(pems), Transport::Plain);
    assert_fails_closed_in_time(&keys);
}

#[test]
fn an_unknown_kid_is_fetched_once_and_then_answered_from_memory() {
    let (keys, hits) = fetcher_for(KeyServer::NotFound, Transport::Plain);
    for _ in 0..50 {
        assert_eq!(ask(&keys, &token(&signer(3))).0, 401);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_key_server_answering_403_is_an_unknown_kid_refused_with_401_and_fetched_once() {
    let (keys, hits) = fetcher_for(KeyServer::Forbidden, Transport::Plain);
    for _ in 0..5 {
        let (code, took) = ask(&keys, &token(&signer(3)));
        assert_eq!(code, 401);
        assert!(took < WITHIN_THE_DEADLINE, "took {took:?}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

/// A token like `signer`'s but with `kid`.
fn token_with_kid(kid: &str) -> String {
    AlbSigner::from_seed(3, kid, SIGNER).token(
        &user_claims("mallory@example.com", &[], now() + 300),
        now() + 300,
    )
}

#[test]
fn a_flood_of_random_kids_costs_at_most_ten_fetches_and_then_503_without_one() {
    let (keys, hits) = fetcher_for(KeyServer::NotFound, Transport::Plain);
    let mut codes = std::collections::BTreeMap::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..1000 {
        // xorshift: 1,000 distinct kids of a safe shape.
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let (code, took) = ask(&keys, &token_with_kid(&format!("{seed:016x}")));
        assert!(took < WITHIN_THE_DEADLINE);
        *codes.entry(code).or_insert(0) += 1;
    }
    assert_eq!(hits.load(Ordering::SeqCst), 10);
    // The ten fetched are unknown to the key server (401); the rest are refused unasked (503).
    assert_eq!(codes, [(401, 10), (503, 990)].into_iter().collect());
    // A kid already known unknown is still answered from memory, without a fetch.
    let first = {
        let mut s = 0x9e37_79b9_7f4a_7c15u64;
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    assert_eq!(ask(&keys, &token_with_kid(&format!("{first:016x}"))).0, 401);
    assert_eq!(hits.load(Ordering::SeqCst), 10);
}

#[test]
fn a_key_already_fetched_still_serves_logins_during_a_flood() {
    let (keys, hits) = fetcher_for(KeyServer::Serves, Transport::Plain);
    assert_eq!(ask(&keys, &token(&signer(3))).0, 200);
    for n in 0..200 {
        ask(&keys, &token_with_kid(&format!("forged-{n}")));
    }
    assert_eq!(ask(&keys, &token(&signer(3))).0, 200);
    assert_eq!(hits.load(Ordering::SeqCst), 10);
}

#[test]
fn the_fetch_ration_counts_failed_fetches_too() {
    let (keys, hits) = fetcher_for(KeyServer::Hangs, Transport::Plain);
    // Each kid hangs until the deadline; run twelve at once so the test takes one deadline.
    let keys = Arc::new(keys);
    let handles: Vec<_> = (0..12)
        .map(|n| {
            let keys = Arc::clone(&keys);
            thread::spawn(move || keys.key(&format!("kid-{n}")))
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(results
        .iter()
        .all(|r| matches!(r, Err(KeyError::Unavailable(_)))));
    // Give the server's accept loop a moment to count the last connection.
    thread::sleep(Duration::from_millis(200));
    assert_eq!(hits.load(Ordering::SeqCst), 10);
}

/// Tokens refused by the free checks, before any key is asked for.
fn hostile_tokens() -> Vec<(&'static str, String)> {
    let good = token(&signer(3));
    let parts: Vec<&str> = good.split('.').collect();
    let header = |h: Value| PADDED_URL_SAFE.encode(h.to_string());
    let exp = now() + 300;
    let mut h = signer(3).header(exp);
    vec![
        (
            "another load balancer's token",
            AlbSigner::from_seed(3, KID, OTHER_SIGNER)
                .token(&user_claims("a@example.com", &[], exp), exp),
        ),
        ("alg ES384", {
            h["alg"] = json!("ES384");
            format!("{}.{}.{}", header(h.clone()), parts[1], parts[2])
        }),
        ("alg none", {
            h["alg"] = json!("none");
            format!("{}.{}.", header(h.clone()), parts[1])
        }),
        (
            "a header that is not JSON",
            format!(
                "{}.{}.{}",
                PADDED_URL_SAFE.encode("{\"alg\":\"ES256\","),
                parts[1],
                parts[2]
            ),
        ),
        ("an empty signature", format!("{}.{}.", parts[0], parts[1])),
        ("an empty token", String::new()),
        ("a token over 16 KiB", "a".repeat(16 * 1024 + 1)),
    ]
}

#[test]
fn hostile_tokens_are_401_before_any_fetch() {
    let (keys, hits) = fetcher_for(KeyServer::Serves, Transport::Plain);
    for (what, token) in hostile_tokens() {
        let (code, took) = ask(&keys, &token);
        assert_eq!(code, 401, "{what}");
        assert!(took < WITHIN_THE_DEADLINE, "{what}");
    }
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

// A token made by a second, independent implementation, exactly as ALB documents it: ring
// signs (the kit signs with p256), the segments are padded base64url written by hand, the
// header text is written out, and the key server serves the key as a PEM encoded by p256's
// SPKI encoder (the verifier reads PEM by hand).

/// base64url with `=` padding, from the standard alphabet by hand.
fn padded_base64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .replace('+', "-")
        .replace('/', "_")
}

/// A token as ALB's documentation describes it, signed by `key`.
fn alb_documented_token(key: &ring::signature::EcdsaKeyPair, signer_arn: &str, exp: u64) -> String {
    let header = format!(
        r#"{{"typ":"JWT","kid":"{KID}","alg":"ES256","iss":"https://idp.example.com","client":"client-1234","signer":"{signer_arn}","exp":{exp}}}"#
    );
    let claims = format!(
        r#"{{"sub":"1234567890","name":"Alice","email":"alice@example.com","exp":{exp},"iss":"https://idp.example.com"}}"#
    );
    let signed = format!(
        "{}.{}",
        padded_base64url(header.as_bytes()),
        padded_base64url(claims.as_bytes())
    );
    let rng = ring::rand::SystemRandom::new();
    let signature = key.sign(&rng, signed.as_bytes()).unwrap();
    assert_eq!(signature.as_ref().len(), 64, "r || s");
    format!("{signed}.{}", padded_base64url(signature.as_ref()))
}

fn ring_key() -> (ring::signature::EcdsaKeyPair, String) {
    use p256::pkcs8::{EncodePublicKey, LineEnding};
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let pem = p256::PublicKey::from_sec1_bytes(key.public_key().as_ref())
        .unwrap()
        .to_public_key_pem(LineEnding::LF)
        .unwrap();
    (key, pem)
}

/// A fetcher for a TLS key server serving `pem` under `/keys/{KID}`.
fn serving(pem: String) -> (HttpKeys, Arc<AtomicU32>) {
    let (port, hits) = start_key_server(KeyServer::Serves, Transport::TestCa, pem);
    (
        fetcher(&format!("https://localhost:{port}/keys/{{kid}}")),
        hits,
    )
}

#[test]
fn a_token_made_as_alb_documents_it_by_another_implementation_is_let_in() {
    let (key, pem) = ring_key();
    let token = alb_documented_token(&key, SIGNER, now() + 60);
    assert!(token.contains('='), "ALB pads its segments: {token}");
    let (keys, hits) = serving(pem);
    assert_eq!(ask(&keys, &token).0, 200);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_token_made_by_another_implementation_with_a_changed_byte_is_refused() {
    let (key, pem) = ring_key();
    let token = alb_documented_token(&key, SIGNER, now() + 60);
    let (keys, _) = serving(pem);
    // "Alice" becomes "Alicf" in the claims: the signature no longer matches.
    let claims = token.split('.').nth(1).unwrap();
    let decoded = base64::engine::general_purpose::URL_SAFE
        .decode(claims)
        .unwrap();
    let changed = String::from_utf8(decoded)
        .unwrap()
        .replace("Alice", "Alicf");
    let forged = token.replace(claims, &padded_base64url(changed.as_bytes()));
    assert_eq!(ask(&keys, &forged).0, 401);
}

#[test]
fn a_token_made_by_another_implementation_for_another_load_balancer_is_refused_unfetched() {
    let (key, pem) = ring_key();
    let token = alb_documented_token(&key, OTHER_SIGNER, now() + 60);
    let (keys, hits) = serving(pem);
    assert_eq!(ask(&keys, &token).0, 401);
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[test]
fn a_token_made_by_another_implementation_past_its_exp_and_the_30_s_skew_is_refused() {
    let (key, pem) = ring_key();
    let (keys, hits) = serving(pem);
    assert_eq!(
        ask(&keys, &alb_documented_token(&key, SIGNER, now() - 40)).0,
        401
    );
    assert_eq!(hits.load(Ordering::SeqCst), 0);
    assert_eq!(
        ask(&keys, &alb_documented_token(&key, SIGNER, now() - 10)).0,
        200
    );
}

#[test]
fn the_deploys_default_function_timeout_leaves_room_for_the_key_fetch_and_the_answer() {
    // A key server that hangs costs the request the fetch's whole deadline; the answer after it
    // takes milliseconds (BENCHMARKS.md). Lambda's timeout must cover both with room for a cold
    // start, or ALB answers 502 where the function would have answered 503.
    let settings =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/settings.env"))
            .unwrap();
    let line = settings
        .lines()
        .find(|l| l.starts_with("TIMEOUT="))
        .expect("deploy/settings.env sets TIMEOUT");
    // `TIMEOUT=${TIMEOUT-10}   # a comment`: the default is the number after `${TIMEOUT-`.
    let seconds: u64 = line
        .split_once("${TIMEOUT-")
        .and_then(|(_, rest)| rest.split_once('}'))
        .and_then(|(default, _)| default.trim().parse().ok())
        .unwrap_or_else(|| panic!("no default in {line:?}"));
    assert!(
        Duration::from_secs(seconds) >= key_fetch::FETCH_BUDGET + Duration::from_secs(2),
        "{line}: at least the key fetch's {:?} and 2 s more",
        key_fetch::FETCH_BUDGET
    );
}
