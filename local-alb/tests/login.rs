//! `--login`: local-alb plays ALB's authenticate action in front of the project's real
//! function, which verifies the signed login for real (it fetches local-alb's public key).
//! Set BOOTSTRAP=path/to/bootstrap to run it (`make test-local` does).

mod common;

use common::Server;

fn start(flags: &[&str]) -> Server {
    let bootstrap = common::bootstrap();
    let mut all = vec!["--instances", "1"];
    all.extend_from_slice(flags);
    Server::start_command(&all, &[bootstrap])
}

fn get_with(s: &Server, target: &str, headers: &str) -> common::Resp {
    s.send(&format!(
        "GET {target} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n{headers}Connection: close\r\n\r\n",
        s.port
    ))
}

/// Logs in through the form; returns the session cookie pair.
fn log_in(s: &Server, email: &str) -> String {
    let form = format!(
        "email={}&groups=staff&redirect=%2Fabout",
        email.replace('@', "%40")
    );
    let r = s.send(&format!(
        "POST /_local-alb/login HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        s.port,
        form.len()
    ));
    assert_eq!(r.status, 302, "{}", r.text());
    assert_eq!(r.header("location"), Some("/about"));
    let cookie = r
        .header("set-cookie")
        .expect("a session cookie")
        .to_string();
    assert!(cookie.starts_with("AWSELBAuthSessionCookie-0="), "{cookie}");
    cookie.split(';').next().unwrap().to_string()
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_request_without_a_session_is_sent_to_the_login_form() {
    let s = start(&["--login"]);
    let r = s.get("/about?x=1");
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location"),
        Some("/_local-alb/login?redirect=/about%3Fx%3D1")
    );
    let form = s.get("/_local-alb/login?redirect=%2Fabout");
    assert_eq!(form.status, 200);
    assert!(form.text().contains("<form method=\"post\""));
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_logged_in_browser_gets_private_pages_verified_by_the_function() {
    let s = start(&["--login"]);
    let cookie = log_in(&s, "alice@example.com");
    let r = get_with(&s, "/about", &format!("Cookie: {cookie}\r\n"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r
        .header("cache-control")
        .is_some_and(|c| c.starts_with("private")));
    // The function fetched local-alb's key to verify the login.
    assert!(s
        .log_line(
            &["GET /_local-alb/keys/", " 200 "],
            std::time::Duration::from_secs(5)
        )
        .is_some());
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_token_the_client_forges_is_replaced_by_the_signed_one() {
    let s = start(&["--login"]);
    let cookie = log_in(&s, "alice@example.com");
    let forged =
        "x-amzn-oidc-data: eyJhbGciOiJub25lIn0=.e30=.\r\nx-amzn-oidc-identity: mallory\r\n";
    let r = get_with(&s, "/about", &format!("Cookie: {cookie}\r\n{forged}"));
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn a_forged_token_without_a_session_never_reaches_the_function() {
    let s = start(&["--login"]);
    let r = get_with(
        &s,
        "/about",
        "x-amzn-oidc-data: eyJhbGciOiJub25lIn0=.e30=.\r\n",
    );
    assert_eq!(r.status, 302);
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn login_as_logs_every_request_in_without_a_form() {
    let s = start(&["--login-as", "bob@example.com:admins"]);
    let r = s.get("/about");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(s.get("/health").status, 200);
}

#[test]
#[ignore = "needs the built function: BOOTSTRAP=path/to/bootstrap (make test-local sets it)"]
fn without_login_the_function_refuses_a_token_signed_by_no_one_it_trusts() {
    // The function made private by the environment, local-alb not playing the login: a token
    // local-alb's kit signs with a key the function cannot fetch is refused, never served.
    let bootstrap = common::bootstrap();
    let s = Server::start_env(
        &["--instances", "1"],
        &[bootstrap],
        &[
            ("SITE_AUTH_SIGNER", local_alb::kit::login::LOCAL_SIGNER),
            ("SITE_AUTH_KEY_URL", "http://127.0.0.1:9/{kid}"),
        ],
    );
    let signer = local_alb::kit::login::AlbSigner::from_seed(
        5,
        "kid-1",
        local_alb::kit::login::LOCAL_SIGNER,
    );
    let exp = local_alb::ids::epoch_millis() / 1000 + 60;
    let token = signer.token(
        &local_alb::kit::login::user_claims("a@example.com", &[], exp),
        exp,
    );
    let r = get_with(&s, "/about", &format!("x-amzn-oidc-data: {token}\r\n"));
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(get_with(&s, "/about", "").status, 401);
}
