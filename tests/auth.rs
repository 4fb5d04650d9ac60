//! Private sites: the login check, through the pure handler, with keys made in the test and
//! tokens signed exactly as ALB signs them (local-alb's kit). Every refusal is a 401, 403 or
//! 503 ALB accepts; none is ever a 200 or a 502.

mod common;

use std::cell::Cell;

use common::{body_bytes, check_response, header, header_values, status, AlbEvent};
use local_alb::kit::login::{user_claims, AlbSigner, PADDED_URL_SAFE};
use serde_json::{json, Value};
use site_core::plan::memory;
use site_core::site::Site;
use site_server::auth::{Guard, KeyError, KeyStore, Policy, PublicKey};
use site_server::handler::{self, RequestLine};

use base64::Engine;

const SIGNER: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/intranet/50dc6c495c0c9188";
const OTHER_SIGNER: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/other/50dc6c495c0c9188";
const KID: &str = "8a1f2c3d-4b5e-6f70-8192-a3b4c5d6e7f8";
const NOW: u64 = 1_900_000_000;

const SETTINGS: &str = r#"
[auth]
signer = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/intranet/50dc6c495c0c9188"
public = ["/", "/public/*"]
logout_path = "/logout"
logout_redirect = "https://login.example.com/logout?client_id=abc"

[[auth.rule]]
path = "/admin/*"
email_domains = ["example.com"]
groups = ["admins"]

[[auth.rule]]
path = "/team/*"
emails = ["bob@partner.org"]
email_domains = ["example.com"]
"#;

fn site() -> Site {
    memory::from_files(
        &[
            ("index.html", b"<h1>welcome</h1>"),
            ("public/about.html", b"<h1>about</h1>"),
            ("docs/guide.html", b"<h1>guide</h1>"),
            ("admin/panel.html", b"<h1>panel</h1>"),
            ("team/plan.html", b"<h1>plan</h1>"),
            ("app.3f9a2c1b.js", b"console.log(1)"),
        ],
        SETTINGS,
    )
    .expect("the site plans")
}

fn signer() -> AlbSigner {
    AlbSigner::from_seed(7, KID, SIGNER)
}

/// Keys known to the test; counts how often it was asked.
struct TestKeys {
    keys: Vec<(String, PublicKey)>,
    asked: Cell<u32>,
    outage: bool,
}

impl KeyStore for TestKeys {
    fn key(&self, kid: &str) -> Result<PublicKey, KeyError> {
        self.asked.set(self.asked.get() + 1);
        if self.outage {
            return Err(KeyError::Unavailable("connection refused".into()));
        }
        self.keys.key(kid)
    }
}

fn keys() -> TestKeys {
    TestKeys {
        keys: vec![(
            KID.to_string(),
            PublicKey::from_pem(&signer().public_pem()).unwrap(),
        )],
        asked: Cell::new(0),
        outage: false,
    }
}

fn policy(site: &Site) -> Policy {
    Policy::from_settings(site.options.auth.as_ref(), None, None, Some("eu-west-1"))
        .expect("valid settings")
        .expect("a private site")
}

/// The answer to `event` from the private site, checked to be one ALB accepts, and the line
/// that would be logged.
fn ask_with(event: AlbEvent, keys: &TestKeys) -> (Value, RequestLine<'static>) {
    let site = site();
    let policy = policy(&site);
    let guard = Guard {
        policy: &policy,
        keys,
    };
    let json: &'static str = Box::leak(event.to_json().to_string().into_boxed_str());
    let (response, line) = handler::handle_with(
        &site,
        json,
        &handler::Shell {
            guard: Some(&guard),
            now: NOW,
            ..Default::default()
        },
    );
    let text = serde_json::to_string(&response).unwrap();
    let v = check_response(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    (v, line)
}

fn ask(path: &str, token: Option<&str>) -> Value {
    let mut event = AlbEvent::new("GET", path).header("accept", "text/html");
    if let Some(t) = token {
        event = event.header("x-amzn-oidc-data", t);
    }
    ask_with(event, &keys()).0
}

fn alice() -> String {
    signer().token(
        &user_claims("alice@example.com", &["admins"], NOW + 60),
        NOW + 60,
    )
}

fn body(r: &Value) -> String {
    String::from_utf8(body_bytes(r)).unwrap()
}

#[test]
fn a_valid_login_gets_the_private_page() {
    let r = ask("/docs/guide", Some(&alice()));
    assert_eq!(status(&r), 200);
    assert_eq!(body(&r), "<h1>guide</h1>");
}

#[test]
fn a_private_page_is_never_cached_as_public() {
    let r = ask("/docs/guide", Some(&alice()));
    assert_eq!(header(&r, "cache-control"), Some("private, no-cache"));
    assert_eq!(header(&r, "vary"), Some("Cookie"));
    let asset = ask("/app.3f9a2c1b.js", Some(&alice()));
    assert_eq!(
        header(&asset, "cache-control"),
        Some("private, max-age=31536000")
    );
}

#[test]
fn a_private_304_is_private_too() {
    let first = ask("/docs/guide", Some(&alice()));
    let etag = header(&first, "etag").unwrap().to_string();
    let event = AlbEvent::new("GET", "/docs/guide")
        .header("x-amzn-oidc-data", &alice())
        .header("if-none-match", &etag);
    let (r, _) = ask_with(event, &keys());
    assert_eq!(status(&r), 304);
    assert!(header(&r, "cache-control").unwrap().starts_with("private"));
}

#[test]
fn no_login_on_a_private_page_is_401_with_no_reason_in_the_page() {
    let (r, line) = ask_with(AlbEvent::new("GET", "/docs/guide"), &keys());
    assert_eq!(status(&r), 401);
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
    assert!(!body(&r).contains("x-amzn"));
    assert_eq!(line.refused.as_deref(), Some("no x-amzn-oidc-data header"));
}

#[test]
fn a_missing_page_on_a_private_site_is_401_not_404() {
    assert_eq!(status(&ask("/docs/nothing-here", None)), 401);
}

#[test]
fn public_paths_and_the_health_path_need_no_login() {
    let home = ask("/", None);
    assert_eq!(status(&home), 200);
    assert_eq!(header(&home, "cache-control"), Some("no-cache"));
    assert_eq!(status(&ask("/public/about", None)), 200);
    assert_eq!(status(&ask("/health", None)), 200);
}

#[test]
fn a_dot_segment_cannot_climb_out_of_a_public_folder() {
    for path in ["/public/../docs/guide", "/public/%2e%2e/docs/guide"] {
        let r = ask(path, None);
        assert!(matches!(status(&r), 400 | 401), "{path}: {}", status(&r));
    }
}

fn refused(token: &str) -> (u64, Option<String>, u32) {
    let keys = keys();
    let event = AlbEvent::new("GET", "/docs/guide").header("x-amzn-oidc-data", token);
    let (r, line) = ask_with(event, &keys);
    (status(&r), line.refused, keys.asked.get())
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_string).collect()
}

fn encode(v: &Value) -> String {
    PADDED_URL_SAFE.encode(v.to_string())
}

#[test]
fn an_unsigned_token_is_refused() {
    let s = segments(&alice());
    let (code, why, _) = refused(&format!("{}.{}.", s[0], s[1]));
    assert_eq!(code, 401);
    assert!(why.unwrap().contains("signature"));
}

#[test]
fn alg_none_is_refused_before_any_key_is_fetched() {
    let mut header = signer().header(NOW + 60);
    header["alg"] = json!("none");
    let claims = user_claims("alice@example.com", &[], NOW + 60);
    let token = format!("{}.{}.", encode(&header), encode(&claims));
    let (code, why, asked) = refused(&token);
    assert_eq!((code, asked), (401, 0));
    assert!(why.unwrap().contains("\"none\""));
}

#[test]
fn hs256_with_the_public_key_as_secret_is_refused() {
    use p256::pkcs8::EncodePublicKey;
    let mut header = signer().header(NOW + 60);
    header["alg"] = json!("HS256");
    let claims = user_claims("mallory@example.com", &["admins"], NOW + 60);
    let signed = format!("{}.{}", encode(&header), encode(&claims));
    // An HMAC-SHA256 "signature" keyed with the public key's DER (the classic confusion).
    let secret = signer().verifying_key().to_public_key_der().unwrap();
    let mac = hmac_sha256(secret.as_bytes(), signed.as_bytes());
    let (code, why, asked) = refused(&format!("{signed}.{}", PADDED_URL_SAFE.encode(mac)));
    assert_eq!((code, asked), (401, 0));
    assert!(why.unwrap().contains("HS256"));
}

fn hmac_sha256(key: &[u8], msg: &[u8]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let pad = |b: u8| k.iter().map(|x| x ^ b).collect::<Vec<u8>>();
    let inner = Sha256::new()
        .chain_update(pad(0x36))
        .chain_update(msg)
        .finalize();
    Sha256::new()
        .chain_update(pad(0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

#[test]
fn a_token_from_another_load_balancer_is_refused() {
    let other = AlbSigner::from_seed(7, KID, OTHER_SIGNER);
    let token = other.token(&user_claims("alice@example.com", &[], NOW + 60), NOW + 60);
    let (code, why, asked) = refused(&token);
    assert_eq!((code, asked), (401, 0));
    assert!(why.unwrap().contains("not an allowed load balancer"));
}

// The clock skew is 30 s (SECURITY.md): written out here, not taken from the code.

#[test]
fn a_token_31_seconds_past_exp_is_refused() {
    let exp = NOW - 31;
    let token = signer().token(&user_claims("alice@example.com", &[], exp), exp);
    let (code, why, asked) = refused(&token);
    assert_eq!((code, asked), (401, 0));
    assert!(why.unwrap().contains("expired"));
}

#[test]
fn a_token_30_seconds_past_exp_is_taken_within_the_clock_skew() {
    let exp = NOW - 30;
    let token = signer().token(&user_claims("alice@example.com", &[], exp), exp);
    assert_eq!(status(&ask("/docs/guide", Some(&token))), 200);
}

#[test]
fn claims_31_seconds_past_exp_under_a_fresh_header_are_refused() {
    let token = signer().token(&user_claims("alice@example.com", &[], NOW - 31), NOW + 60);
    let (code, why, _) = refused(&token);
    assert_eq!(code, 401);
    assert!(why.unwrap().contains("expired"));
}

#[test]
fn claims_30_seconds_past_exp_are_taken_within_the_clock_skew() {
    let token = signer().token(&user_claims("alice@example.com", &[], NOW - 30), NOW + 60);
    assert_eq!(status(&ask("/docs/guide", Some(&token))), 200);
}

#[test]
fn a_tampered_payload_is_refused() {
    let s = segments(&alice());
    let forged = encode(&user_claims("mallory@evil.org", &["admins"], NOW + 60));
    let (code, why, _) = refused(&format!("{}.{forged}.{}", s[0], s[2]));
    assert_eq!(code, 401);
    assert!(why.unwrap().contains("signature does not verify"));
}

#[test]
fn a_tampered_header_is_refused() {
    let s = segments(&alice());
    let mut header = signer().header(NOW + 3600);
    header["client"] = json!("someone-else");
    let (code, _, _) = refused(&format!("{}.{}.{}", encode(&header), s[1], s[2]));
    assert_eq!(code, 401);
}

#[test]
fn a_truncated_token_is_refused() {
    let token = alice();
    for cut in [token.len() - 1, token.len() - 10, token.len() / 2, 10] {
        let (code, _, _) = refused(&token[..cut]);
        assert_eq!(code, 401, "cut at {cut}");
    }
}

#[test]
fn an_unpadded_token_is_refused() {
    let token = alice();
    assert!(token.contains('='), "ALB pads");
    let (code, why, _) = refused(&token.replace('=', ""));
    assert_eq!(code, 401);
    assert!(why.unwrap().contains("malformed"));
}

#[test]
fn a_kid_with_a_path_or_url_in_it_is_refused_before_any_fetch() {
    for kid in [
        "../../etc/passwd",
        "https://evil.example/key",
        "a/b",
        "kid?x=1",
        "",
    ] {
        let bad = AlbSigner::from_seed(7, kid, SIGNER);
        let token = bad.token(&user_claims("alice@example.com", &[], NOW + 60), NOW + 60);
        let (code, why, asked) = refused(&token);
        assert_eq!((code, asked), (401, 0), "{kid}");
        assert!(why.unwrap().contains("kid"), "{kid}");
    }
}

#[test]
fn a_token_signed_by_another_key_under_a_known_kid_is_refused() {
    let impostor = AlbSigner::from_seed(9, KID, SIGNER);
    let token = impostor.token(&user_claims("alice@example.com", &[], NOW + 60), NOW + 60);
    assert_eq!(refused(&token).0, 401);
}

#[test]
fn an_unknown_kid_is_refused() {
    let stranger = AlbSigner::from_seed(7, "unknown-kid", SIGNER);
    let token = stranger.token(&user_claims("alice@example.com", &[], NOW + 60), NOW + 60);
    let (code, why, asked) = refused(&token);
    assert_eq!((code, asked), (401, 1));
    assert!(why.unwrap().contains("no public key"));
}

#[test]
fn keys_that_cannot_be_had_fail_closed_with_503() {
    let keys = TestKeys {
        outage: true,
        ..keys()
    };
    let event = AlbEvent::new("GET", "/docs/guide").header("x-amzn-oidc-data", &alice());
    let (r, line) = ask_with(event, &keys);
    assert_eq!(status(&r), 503);
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
    assert!(line.refused.unwrap().contains("connection refused"));
}

#[test]
fn a_huge_token_is_refused_without_parsing() {
    let huge = "e".repeat(64 * 1024);
    let (code, why, asked) = refused(&huge);
    assert_eq!((code, asked), (401, 0));
    assert!(why.unwrap().contains("bytes"));
}

// The size cap is 16 KiB, 16,384 bytes (SECURITY.md): written out here, not taken from the code.

/// A token validly signed for alice, padded with a filler claim to exactly `len` characters
/// (a token of padded segments is always 2 more than a multiple of 4 long).
fn token_of_length(len: usize) -> String {
    let exp = NOW + 60;
    let mut claims = user_claims("alice@example.com", &[], exp);
    claims["filler"] = json!("");
    let shortest = signer().token(&claims, exp).len();
    // Each 3 bytes of filler make 4 characters of token.
    let about = len.saturating_sub(shortest) * 3 / 4;
    for filler in about.saturating_sub(8)..about + 8 {
        claims["filler"] = json!("x".repeat(filler));
        let token = signer().token(&claims, exp);
        if token.len() >= len {
            assert_eq!(token.len(), len, "no valid token is {len} long");
            return token;
        }
    }
    panic!("no filler makes a token of {len}")
}

#[test]
fn a_valid_token_of_16382_bytes_is_taken() {
    // The longest a token of padded segments can be within 16,384 bytes.
    assert_eq!(
        status(&ask("/docs/guide", Some(&token_of_length(16_382)))),
        200
    );
}

#[test]
fn a_valid_token_of_16386_bytes_is_refused_before_any_fetch() {
    let (code, why, asked) = refused(&token_of_length(16_386));
    assert_eq!((code, asked), (401, 0));
    assert!(why.unwrap().contains("16386 bytes"));
}

#[test]
fn the_size_cap_falls_between_16384_and_16385_bytes() {
    // Neither is a token; only the longer is refused for its size.
    let (code, why, _) = refused(&"e".repeat(16_384));
    assert_eq!(code, 401);
    assert!(!why.unwrap().contains("bytes"));
    let (code, why, asked) = refused(&"e".repeat(16_385));
    assert_eq!((code, asked), (401, 0));
    assert!(why.unwrap().contains("16385 bytes"));
}

#[test]
fn garbage_tokens_are_refused() {
    for token in [
        "",
        ".",
        "..",
        "a.b.c",
        "é.é.é",
        "eyJ9.eyJ9.eyJ9",
        "null.null.null",
    ] {
        assert_eq!(refused(token).0, 401, "{token:?}");
    }
}

#[test]
fn an_identity_header_that_differs_from_the_token_is_refused() {
    let event = AlbEvent::new("GET", "/docs/guide")
        .header("x-amzn-oidc-data", &alice())
        .header("x-amzn-oidc-identity", "someone-else");
    let (r, line) = ask_with(event, &keys());
    assert_eq!(status(&r), 401);
    assert!(line.refused.unwrap().contains("identity"));
}

#[test]
fn a_signed_token_whose_claims_have_no_sub_is_refused() {
    let mut claims = user_claims("alice@example.com", &["admins"], NOW + 60);
    claims.as_object_mut().unwrap().remove("sub");
    let token = signer().token(&claims, NOW + 60);
    let event = AlbEvent::new("GET", "/docs/guide").header("x-amzn-oidc-data", &token);
    let (r, line) = ask_with(event, &keys());
    assert_eq!(status(&r), 401);
    assert!(line.user.is_none());
    // The same claims with a sub are let in: only the missing sub refused them.
    let token = signer().token(
        &user_claims("alice@example.com", &["admins"], NOW + 60),
        NOW + 60,
    );
    assert_eq!(status(&ask("/docs/guide", Some(&token))), 200);
}

#[test]
fn an_identity_header_without_a_token_is_no_login() {
    let event = AlbEvent::new("GET", "/docs/guide")
        .header("x-amzn-oidc-identity", "local-alice-at-example.com");
    let (r, line) = ask_with(event, &keys());
    assert_eq!(status(&r), 401);
    assert!(line.user.is_none());
    assert!(!body(&r).contains("guide"));
}

#[test]
fn two_tokens_in_multi_value_mode_are_refused() {
    let event = AlbEvent::new("GET", "/docs/guide")
        .multi_value(true)
        .header("x-amzn-oidc-data", &alice())
        .header("x-amzn-oidc-data", &alice());
    assert_eq!(status(&ask_with(event, &keys()).0), 401);
}

#[test]
fn the_verified_user_is_logged_and_the_token_is_not() {
    let event = AlbEvent::new("GET", "/docs/guide").header("x-amzn-oidc-data", &alice());
    let (_, line) = ask_with(event, &keys());
    let user = line.user.unwrap();
    assert_eq!(user.sub, "local-alice-at-example.com");
    assert_eq!(user.email.as_deref(), Some("alice@example.com"));
    assert!(!format!("{:?}", line.refused).contains(&alice()[..20]));
}

#[test]
fn a_rule_admits_a_user_it_lists() {
    assert_eq!(status(&ask("/admin/panel", Some(&alice()))), 200);
}

#[test]
fn a_rule_refuses_a_user_outside_its_groups_with_403() {
    let carol = signer().token(
        &user_claims("carol@example.com", &["staff"], NOW + 60),
        NOW + 60,
    );
    let event = AlbEvent::new("GET", "/admin/panel").header("x-amzn-oidc-data", &carol);
    let (r, line) = ask_with(event, &keys());
    assert_eq!(status(&r), 403);
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
    assert!(line.refused.unwrap().contains("groups"));
    assert_eq!(
        line.user.unwrap().email.as_deref(),
        Some("carol@example.com")
    );
}

#[test]
fn a_rule_refuses_an_email_outside_its_domains() {
    let dave = signer().token(
        &user_claims("dave@elsewhere.org", &["admins"], NOW + 60),
        NOW + 60,
    );
    assert_eq!(status(&ask("/admin/panel", Some(&dave))), 403);
    assert_eq!(status(&ask("/team/plan", Some(&dave))), 403);
    // Any verified user may see paths no rule names.
    assert_eq!(status(&ask("/docs/guide", Some(&dave))), 200);
}

#[test]
fn a_rule_admits_an_address_it_lists_by_name() {
    let bob = signer().token(&user_claims("bob@partner.org", &[], NOW + 60), NOW + 60);
    assert_eq!(status(&ask("/team/plan", Some(&bob))), 200);
}

#[test]
fn the_first_rule_whose_path_matches_decides_and_later_ones_are_not_asked() {
    // /admin/reports/* is bob's alone, though /admin/* below it admits every admin.
    let site = memory::from_files(
        &[("admin/reports/q.html", b"<h1>q</h1>")],
        &format!(
            "[auth]\nsigner = \"{SIGNER}\"\n\
             [[auth.rule]]\npath = \"/admin/reports/*\"\nemails = [\"bob@partner.org\"]\n\
             [[auth.rule]]\npath = \"/admin/*\"\ngroups = [\"admins\"]\n"
        ),
    )
    .expect("the site plans");
    let policy = policy(&site);
    let keys = keys();
    let guard = Guard {
        policy: &policy,
        keys: &keys,
    };
    let shell = handler::Shell {
        guard: Some(&guard),
        now: NOW,
        ..Default::default()
    };
    let bob = signer().token(&user_claims("bob@partner.org", &[], NOW + 60), NOW + 60);
    let answer = |token: &str| {
        let event = AlbEvent::new("GET", "/admin/reports/q").header("x-amzn-oidc-data", token);
        let json = event.to_json().to_string();
        handler::handle_with(&site, &json, &shell).0.status
    };
    assert_eq!(answer(&alice()).code(), 403, "an admin, but not bob");
    assert_eq!(answer(&bob).code(), 200, "bob, though no admin");
}

#[test]
fn an_unverified_email_does_not_pass_an_email_rule() {
    let mut claims = user_claims("eve@example.com", &["admins"], NOW + 60);
    claims["email_verified"] = json!(false);
    let token = signer().token(&claims, NOW + 60);
    assert_eq!(status(&ask("/team/plan", Some(&token))), 403);
}

#[test]
fn logout_expires_every_session_cookie_shard_and_redirects() {
    let event = AlbEvent::new("GET", "/logout").multi_value(true).header(
        "cookie",
        "AWSELBAuthSessionCookie-0=a; AWSELBAuthSessionCookie-5=b; other=1",
    );
    let (r, _) = ask_with(event, &keys());
    assert_eq!(status(&r), 302);
    assert_eq!(
        header(&r, "location"),
        Some("https://login.example.com/logout?client_id=abc")
    );
    let cookies = header_values(&r, "set-cookie");
    let names: Vec<&str> = cookies
        .iter()
        .map(|c| c.split('=').next().unwrap())
        .collect();
    assert_eq!(
        names,
        ["0", "1", "2", "3", "5"].map(|n| format!("AWSELBAuthSessionCookie-{n}"))
    );
    assert!(cookies
        .iter()
        .all(|c| c.contains("Max-Age=0") && c.contains("Path=/")));
    assert_eq!(header(&r, "cache-control"), Some("no-store"));
}

#[test]
fn logout_in_single_value_mode_can_expire_only_the_first_shard() {
    let (r, _) = ask_with(AlbEvent::new("GET", "/logout"), &keys());
    assert_eq!(status(&r), 302);
    assert!(header(&r, "set-cookie")
        .unwrap()
        .starts_with("AWSELBAuthSessionCookie-0=;"));
}

#[test]
fn a_private_site_with_no_signer_refuses_to_start() {
    let site = memory::from_files(&[("index.html", b"x")], "[auth]\n").unwrap();
    let e = Policy::from_settings(site.options.auth.as_ref(), None, None, Some("us-east-1"))
        .unwrap_err();
    assert!(e.to_string().contains("SITE_AUTH_SIGNER"), "{e}");
}

#[test]
fn the_environment_signer_turns_a_public_site_private() {
    let site = memory::from_files(&[("index.html", b"x")], "").unwrap();
    let policy = Policy::from_settings(None, Some(SIGNER), None, Some("us-east-1"))
        .unwrap()
        .unwrap();
    assert_eq!(policy.signers, [SIGNER]);
    assert_eq!(
        policy.key_url,
        "https://public-keys.auth.elb.us-east-1.amazonaws.com/{kid}"
    );
    let guard = Guard {
        policy: &policy,
        keys: &keys(),
    };
    let event = AlbEvent::new("GET", "/").to_json().to_string();
    let (r, _) = handler::handle_with(
        &site,
        &event,
        &handler::Shell {
            guard: Some(&guard),
            now: NOW,
            ..Default::default()
        },
    );
    assert_eq!(r.status.code(), 401);
}

#[test]
fn a_malformed_environment_signer_refuses_to_start() {
    let e = Policy::from_settings(None, Some("my-alb"), None, Some("us-east-1")).unwrap_err();
    assert!(e.to_string().starts_with("SITE_AUTH_SIGNER"), "{e}");
}

#[test]
fn a_key_url_that_needs_a_region_refuses_to_start_without_one() {
    let e = Policy::from_settings(None, Some(SIGNER), None, None).unwrap_err();
    assert!(e.to_string().contains("AWS_REGION"), "{e}");
}

#[test]
fn an_http_key_url_off_this_machine_refuses_to_start() {
    let e = Policy::from_settings(
        None,
        Some(SIGNER),
        Some("http://keys.example.com/{kid}"),
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("https"), "{e}");
}

#[test]
fn a_bad_auth_setting_fails_the_plan_naming_it() {
    for (toml, says) in [
        ("[auth]\nsigner = \"x\"", "auth.signer"),
        ("[auth]\nkey_url = \"http://example.com/{kid}\"", "key_url"),
        ("[auth]\nlogout_path = \"logout\"", "auth.logout_path"),
        ("[auth]\n[[auth.rule]]\npath = \"/a/*\"", "no condition"),
        (
            "[auth]\n[[auth.rule]]\npath = \"/a/*\"\nemails = [\"nobody\"]",
            "not an email",
        ),
        ("[auth]\nsignr = \"x\"", "signr"),
    ] {
        let e = memory::from_files(&[("index.html", b"x")], toml).unwrap_err();
        assert!(e.to_string().contains(says), "{toml}: {e}");
    }
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any change to a valid token, one character replaced anywhere, is never let in.
        #[test]
        fn a_token_changed_anywhere_is_never_let_in(at in 0usize..4096, with in proptest::sample::select(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=.+/ ".to_vec()
        )) {
            let token = alice();
            let at = at % token.len();
            prop_assume!(token.as_bytes()[at] != with);
            let mut bytes = token.into_bytes();
            bytes[at] = with;
            let changed = String::from_utf8(bytes).unwrap();
            let code = refused(&changed).0;
            prop_assert!(code == 401, "{} for a change at {}", code, at);
        }
    }
}
