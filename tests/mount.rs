//! `mount = "/docs"`: a site served under a path prefix (an ALB rule for `/docs/*`, an API
//! Gateway base path mapping). Requests under it are served from the site, every redirect keeps
//! it, and nothing else is the site's.

mod common;

use std::sync::OnceLock;

use common::{body_bytes, header, status, AlbEvent, Front};
use local_alb::kit::login::{user_claims, AlbSigner};
use serde_json::Value;
use site_core::plan::memory;
use site_core::site::Site;
use site_server::auth::{Guard, Policy, PublicKey};
use site_server::handler::Shell;

fn site() -> &'static Site {
    static SITE: OnceLock<Site> = OnceLock::new();
    SITE.get_or_init(|| {
        memory::from_files(
            &[
                ("index.html", b"<h1>docs home</h1>"),
                ("guide/index.html", b"<h1>guide</h1>"),
                ("about.html", b"<h1>about</h1>"),
                ("_redirects", b"/old /about 301\n"),
            ],
            "mount = \"/docs\"\nspa = \"off\"\n",
        )
        .expect("the site plans")
    })
}

fn ask_through(front: Front, event: AlbEvent) -> Value {
    front.ask_site(site(), &Shell::default(), &event)
}

fn ask(path: &str) -> Value {
    ask_through(Front::Alb, AlbEvent::new("GET", path))
}

#[test]
fn a_mounted_site_serves_its_files_under_the_mount() {
    let r = ask("/docs/");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), b"<h1>docs home</h1>");
    let r = ask("/docs/about");
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), b"<h1>about</h1>");
}

#[test]
fn the_mount_without_its_slash_redirects_to_the_site_keeping_the_query() {
    let mut e = AlbEvent::new("GET", "/docs");
    e.query = vec![("utm".into(), "x".into())];
    let r = ask_through(Front::Alb, e);
    assert_eq!(status(&r), 308);
    assert_eq!(header(&r, "location"), Some("/docs/?utm=x"));
}

#[test]
fn a_path_outside_the_mount_is_not_the_sites() {
    for path in ["/", "/about", "/docsy/about", "/other/docs/"] {
        assert_eq!(status(&ask(path)), 404, "{path}");
    }
}

#[test]
fn the_sites_own_redirects_keep_the_mount() {
    let r = ask("/docs/guide");
    assert_eq!(header(&r, "location"), Some("/docs/guide/"));
    let r = ask("/docs/old");
    assert_eq!(status(&r), 301);
    assert_eq!(header(&r, "location"), Some("/docs/about"));
}

#[test]
fn behind_a_rest_api_stage_a_redirect_keeps_the_stage_then_the_mount() {
    let r = ask_through(Front::RestApi, AlbEvent::new("GET", "/docs/guide"));
    assert_eq!(header(&r, "location"), Some("/prod/docs/guide/"));
}

#[test]
fn the_health_check_is_answered_where_the_load_balancer_sends_it() {
    assert_eq!(status(&ask("/health")), 200);
}

// ---- A private site under a mount ----

const SIGNER_ARN: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/intranet/50dc6c495c0c9188";
const KID: &str = "5d1c0b2a-0000-4000-8000-000000000002";
const NOW: u64 = 1_900_000_000;

/// The private site's answer to `event`, with or without a valid login.
fn ask_private(event: AlbEvent, logged_in: bool) -> Value {
    static SITE: OnceLock<Site> = OnceLock::new();
    let site = SITE.get_or_init(|| {
        memory::from_files(
            &[("index.html", b"<h1>private</h1>")],
            &format!("mount = \"/team\"\n[auth]\nsigner = \"{SIGNER_ARN}\"\n"),
        )
        .expect("the site plans")
    });
    let alb = AlbSigner::from_seed(11, KID, SIGNER_ARN);
    let keys = vec![(
        KID.to_string(),
        PublicKey::from_pem(&alb.public_pem()).unwrap(),
    )];
    let policy = Policy::from_settings(site.options.auth.as_ref(), None, None, Some("eu-west-1"))
        .unwrap()
        .unwrap();
    let guard = Guard {
        policy: &policy,
        keys: &keys,
    };
    let shell = Shell {
        guard: Some(&guard),
        offload: None,
        now: NOW,
    };
    let event = if logged_in {
        let token = alb.token(&user_claims("ana@example.com", &[], NOW + 60), NOW + 60);
        event.header("x-amzn-oidc-data", &token)
    } else {
        event
    };
    Front::Alb.ask_site(site, &shell, &event)
}

#[test]
fn a_private_site_under_a_mount_still_needs_the_login_for_every_path_under_it() {
    assert_eq!(
        status(&ask_private(AlbEvent::new("GET", "/team/"), false)),
        401
    );
    let r = ask_private(AlbEvent::new("GET", "/team/"), true);
    assert_eq!(status(&r), 200);
    assert_eq!(body_bytes(&r), b"<h1>private</h1>");
}

#[test]
fn every_path_under_a_private_mount_needs_the_login_whatever_it_would_answer() {
    // A file, a clean URL, a missing page, an encoded path and a method the site refuses: each
    // is refused before the site is asked, so not even its 404 or 405 leaks.
    for (method, path) in [
        ("GET", "/team/index.html"),
        ("GET", "/team/index"),
        ("GET", "/team/no-such-page"),
        ("GET", "/team/%69ndex.html"),
        ("HEAD", "/team/"),
        ("POST", "/team/"),
    ] {
        let r = ask_private(AlbEvent::new(method, path), false);
        assert_eq!(status(&r), 401, "{method} {path}");
        assert!(
            !String::from_utf8_lossy(&body_bytes(&r)).contains("private"),
            "{method} {path}"
        );
    }
    // With the login, the site's own answer: its clean URL.
    let r = ask_private(AlbEvent::new("GET", "/team/index.html"), true);
    assert_eq!(status(&r), 308);
    assert_eq!(header(&r, "location"), Some("/team/"));
}

#[test]
fn outside_a_private_sites_mount_the_answer_carries_nothing_of_the_site() {
    let r = ask_private(AlbEvent::new("GET", "/elsewhere/index.html"), false);
    assert_eq!(status(&r), 404);
    assert!(!String::from_utf8_lossy(&body_bytes(&r)).contains("private"));
    let r = ask_private(AlbEvent::new("GET", "/team"), false);
    assert_eq!(status(&r), 308);
    assert_eq!(header(&r, "location"), Some("/team/"));
    assert_eq!(body_bytes(&r), b"");
}
