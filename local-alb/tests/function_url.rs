//! `--front function-url`: local-alb plays a Lambda Function URL in front of the project's real
//! function (payload format 2.0 both ways). Set BOOTSTRAP=path/to/bootstrap to run it (`make
//! test-local` does).

mod common;

use common::Server;

fn start() -> Option<Server> {
    let bootstrap = common::bootstrap_or_skip("function_url")?;
    Some(Server::start_command(
        &["--instances", "1", "--front", "function-url"],
        &[bootstrap],
    ))
}

#[test]
fn the_function_answers_a_function_url_request() {
    let Some(s) = start() else { return };
    let r = s.get("/");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("content-type")
        .is_some_and(|t| t.starts_with("text/html")));
}

#[test]
fn every_set_cookie_reaches_the_client_through_cookies() {
    // Behind an ALB in single-value mode only the first of /about's two cookies could go.
    let Some(s) = start() else { return };
    let r = s.get("/about");
    assert_eq!(r.status, 200, "{}", r.text());
    let cookies = r.all("set-cookie");
    assert_eq!(cookies.len(), 2, "{cookies:?}");
}

#[test]
fn a_compressed_body_arrives_decoded_from_base64() {
    let Some(s) = start() else { return };
    let r = s.send(&format!(
        "GET /css/site.css HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n",
        s.port
    ));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    assert!(r.body.starts_with(&[0x1f, 0x8b]), "a gzip stream");
}

#[test]
fn a_redirect_keeps_the_query() {
    let Some(s) = start() else { return };
    let r = s.get("/news/launch?utm=x");
    assert_eq!(r.status, 302);
    assert_eq!(r.header("location"), Some("/blog/launch?utm=x"));
}
