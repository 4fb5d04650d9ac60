//! The built binary fetching ALB's public key: from a key server this test runs on 127.0.0.1,
//! as `SITE_AUTH_KEY_URL` points it there (the real one is ALB's regional HTTPS endpoint).
//! A key server that answers the key lets a valid login in; one that hangs, answers garbage
//! or errs makes the site fail closed with 503; one that does not know the `kid` makes it a
//! 401. None is ever a 200 for a bad token.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::thread;

use common::{check_response, status, AlbEvent};
use local_alb::kit::login::{user_claims, AlbSigner};
use serde_json::Value;

const SIGNER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/site/0123456789abcdef";
const KID: &str = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0";

/// What the key server does with each request.
#[derive(Clone, Copy)]
enum KeyServer {
    Serves,
    Hangs,
    Garbage,
    NotFound,
    Fails,
}

/// Starts the key server; returns its URL template and a count of the requests it got.
fn key_server(behaviour: KeyServer, pem: String) -> (String, Arc<AtomicU32>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = Arc::new(AtomicU32::new(0));
    let counter = Arc::clone(&hits);
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut request = [0u8; 2048];
            let n = stream.read(&mut request).unwrap_or(0);
            let path = String::from_utf8_lossy(&request[..n])
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let answer = match behaviour {
                KeyServer::Serves if path == format!("/keys/{KID}") => {
                    format!(
                        "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{pem}",
                        pem.len()
                    )
                }
                KeyServer::Serves | KeyServer::NotFound => {
                    "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\n\r\n".into()
                }
                KeyServer::Garbage => "HTTP/1.0 200 OK\r\n\r\nthis is not a key".into(),
                KeyServer::Fails => "HTTP/1.0 500 Oops\r\nContent-Length: 0\r\n\r\n".into(),
                KeyServer::Hangs => {
                    // Hold the connection open, say nothing, until the client gives up.
                    let _ = stream.read(&mut request);
                    continue;
                }
            };
            let _ = stream.write_all(answer.as_bytes());
        }
    });
    (format!("http://127.0.0.1:{port}/keys/{{kid}}"), hits)
}

/// The embedded site's answer to `event` through `bootstrap invoke`, made private by
/// `SITE_AUTH_SIGNER`, with keys from `key_url`.
fn invoke(event: &Value, key_url: &str) -> Value {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .args(["invoke", "-"])
        .env("SITE_AUTH_SIGNER", SIGNER)
        .env("SITE_AUTH_KEY_URL", key_url)
        .env("AWS_REGION", "us-east-1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(event.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
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

fn login_event(signer: &AlbSigner) -> Value {
    let exp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 300;
    let token = signer.token(&user_claims("alice@example.com", &[], exp), exp);
    AlbEvent::new("GET", "/")
        .header("x-amzn-oidc-data", &token)
        .to_json()
}

#[test]
fn a_valid_login_is_let_in_with_the_fetched_key() {
    let (url, hits) = key_server(KeyServer::Serves, signer(3).public_pem());
    let r = invoke(&login_event(&signer(3)), &url);
    assert_eq!(status(&r), 200);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[test]
fn a_token_signed_by_another_key_is_refused_with_the_fetched_key() {
    let (url, _) = key_server(KeyServer::Serves, signer(3).public_pem());
    assert_eq!(status(&invoke(&login_event(&signer(4)), &url)), 401);
}

#[test]
fn a_kid_the_key_server_does_not_know_is_401() {
    let (url, _) = key_server(KeyServer::NotFound, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url)), 401);
}

#[test]
fn a_key_server_that_hangs_fails_closed_with_503() {
    let (url, _) = key_server(KeyServer::Hangs, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url)), 503);
}

#[test]
fn a_key_server_answering_garbage_fails_closed_with_503() {
    let (url, _) = key_server(KeyServer::Garbage, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url)), 503);
}

#[test]
fn a_key_server_error_fails_closed_with_503() {
    let (url, _) = key_server(KeyServer::Fails, String::new());
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url)), 503);
}

#[test]
fn no_key_server_at_all_fails_closed_with_503() {
    let free = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let url = format!("http://127.0.0.1:{port}/keys/{{kid}}");
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url)), 503);
}

#[test]
fn a_key_server_without_a_trusted_certificate_fails_closed_with_503() {
    // The same server, asked over https: the TLS handshake fails (it speaks plain HTTP, and
    // 127.0.0.1 has no certificate from a public root), so no key is taken from it.
    let (url, hits) = key_server(KeyServer::Serves, signer(3).public_pem());
    let url = url.replace("http://", "https://");
    assert_eq!(status(&invoke(&login_event(&signer(3)), &url)), 503);
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
