//! Metrics for free: every access line is CloudWatch Embedded Metric Format (EMF) that
//! CloudWatch accepts (`common::check_emf`, the specification's rules), for every front door
//! and every kind of answer, counts the request where an operator looks for it, and carries
//! nothing a client sent outside `fields`. Through the handler and the access log as the
//! binary uses them; the last tests run the built `bootstrap` itself.

mod common;

use common::{check_emf, AlbEvent, Front};
use local_alb::kit::login::{user_claims, AlbSigner};
use serde_json::Value;
use site_core::plan::memory;
use site_core::site::Site;
use site_server::access_log::{AccessLog, Entry};
use site_server::auth::{Guard, KeyError, KeyStore, Policy, PublicKey};
use site_server::handler::{self, Shell};
use site_server::metrics::{Metrics, METRICS};

const SIGNER: &str =
    "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/intranet/50dc6c495c0c9188";
const KID: &str = "8a1f2c3d-4b5e-6f70-8192-a3b4c5d6e7f8";
const NOW: u64 = 1_900_000_000;
const ROBOTS: &[u8] = b"User-agent: *\nDisallow:\n";

fn public_site() -> Site {
    memory::from_files(
        &[
            ("index.html", b"<h1>home</h1>".as_slice()),
            ("robots.txt", ROBOTS),
            ("_redirects", b"/home / 301\n".as_slice()),
        ],
        // Without a 404.html, a site with an index.html is a single-page app by default.
        "spa = \"off\"\n",
    )
    .expect("the site plans")
}

fn private_site() -> Site {
    let settings = format!("[auth]\nsigner = \"{SIGNER}\"\npublic = [\"/\"]\n");
    memory::from_files(
        &[
            ("index.html", b"<h1>home</h1>".as_slice()),
            ("docs/guide.html", b"<h1>guide</h1>".as_slice()),
        ],
        &settings,
    )
    .expect("the site plans")
}

/// Keys that are there, or an outage (the key server cannot be reached).
struct Keys(Option<Vec<(String, PublicKey)>>);

impl KeyStore for Keys {
    fn key(&self, kid: &str) -> Result<PublicKey, KeyError> {
        match &self.0 {
            Some(keys) => keys.key(kid),
            None => Err(KeyError::Unavailable("connection refused".into())),
        }
    }
}

fn signer() -> AlbSigner {
    AlbSigner::from_seed(7, KID, SIGNER)
}

fn token() -> String {
    signer().token(&user_claims("alice@example.com", &[], NOW + 60), NOW + 60)
}

/// The access line the binary writes for `event` answered by `site` (with a login check when
/// `keys` is given), checked against the EMF specification and parsed.
fn line_for(site: &Site, event: &str, keys: Option<&Keys>) -> Value {
    let policy = keys.map(|_| {
        Policy::from_settings(site.options.auth.as_ref(), None, None, Some("eu-west-1"))
            .expect("valid settings")
            .expect("a private site")
    });
    let guard = policy.as_ref().zip(keys).map(|(policy, keys)| Guard {
        policy,
        keys: keys as &dyn KeyStore,
    });
    let shell = Shell {
        guard: guard.as_ref(),
        offload: None,
        now: NOW,
    };
    let (response, request) = handler::handle_with(site, event, &shell);
    let log = AccessLog::new("JSON", "").with_metrics(Metrics::new("StaticSite", "docs").unwrap());
    let (mut out, mut buf) = (Vec::new(), Vec::new());
    let entry = Entry::new(&request, &response, 42, NOW * 1000);
    log.write(&mut out, &mut buf, &entry, None).unwrap();
    let text = String::from_utf8(out).unwrap();
    check_emf(&text).unwrap_or_else(|e| panic!("{e}\nline: {text}"))
}

/// The metrics a line counts the request in (value 1), besides Requests.
fn counted(line: &Value) -> Vec<&'static str> {
    METRICS
        .iter()
        .map(|(name, _)| *name)
        .filter(|name| !["Requests", "BytesSent", "HandlerTime"].contains(name))
        .filter(|name| line[*name] == 1)
        .collect()
}

fn get(front: Front, path: &str, headers: &[(&str, &str)]) -> String {
    front
        .event(&AlbEvent::new("GET", path).headers(headers))
        .to_string()
}

#[test]
fn every_doors_line_is_emf_with_the_function_and_the_door_as_dimensions() {
    let site = public_site();
    for front in Front::ALL {
        let line = line_for(&site, &get(front, "/", &[]), None);
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "StaticSite");
        assert_eq!(
            directive["Dimensions"],
            serde_json::json!([["FunctionName", "Door"]])
        );
        assert_eq!(line["FunctionName"], "docs");
        let door = line["Door"].as_str().unwrap();
        assert_eq!(door, line["fields"]["door"], "{front:?}");
        assert_eq!(line["_aws"]["Timestamp"], NOW * 1000);
        assert_eq!(line["Requests"], 1);
        assert_eq!(line["HandlerTime"], 42);
        assert_eq!(line["BytesSent"], line["fields"]["bytes"]);
        let names: Vec<&str> = directive["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            ["Requests", "Status2xx", "BytesSent", "HandlerTime"],
            "{front:?}"
        );
    }
}

#[test]
fn each_door_is_its_own_dimension_value() {
    let site = public_site();
    let doors: Vec<String> = Front::ALL
        .iter()
        .map(|f| line_for(&site, &get(*f, "/", &[]), None)["Door"].to_string())
        .collect();
    assert_eq!(doors, ["\"alb\"", "\"v2\"", "\"rest\"", "\"lattice\""]);
}

#[test]
fn a_page_counts_as_2xx_and_its_bytes_as_sent() {
    let site = public_site();
    for front in Front::ALL {
        let line = line_for(&site, &get(front, "/robots.txt", &[]), None);
        assert_eq!(counted(&line), ["Status2xx"], "{front:?}");
        assert_eq!(line["BytesSent"], ROBOTS.len(), "{front:?}");
    }
}

#[test]
fn a_range_counts_as_partial_content() {
    let site = public_site();
    for front in Front::ALL {
        let line = line_for(
            &site,
            &get(front, "/robots.txt", &[("range", "bytes=0-3")]),
            None,
        );
        assert_eq!(counted(&line), ["Status2xx", "PartialContent"], "{front:?}");
    }
}

#[test]
fn a_revalidation_counts_as_not_modified() {
    let site = public_site();
    for front in Front::ALL {
        let first = front.ask_site(
            &site,
            &Shell::default(),
            &AlbEvent::new("GET", "/robots.txt"),
        );
        let etag = common::header(&first, "etag").expect("an ETag").to_string();
        let line = line_for(
            &site,
            &get(front, "/robots.txt", &[("if-none-match", &etag)]),
            None,
        );
        assert_eq!(counted(&line), ["Status3xx", "NotModified"], "{front:?}");
    }
}

#[test]
fn a_redirect_counts_as_a_redirect() {
    let site = public_site();
    for front in Front::ALL {
        let line = line_for(&site, &get(front, "/home", &[]), None);
        assert_eq!(line["fields"]["status"], 301, "{front:?}");
        assert_eq!(counted(&line), ["Status3xx", "Redirects"], "{front:?}");
    }
}

#[test]
fn a_missing_page_and_a_malformed_event_count_as_4xx() {
    let site = public_site();
    for front in Front::ALL {
        let line = line_for(&site, &get(front, "/no/such/page", &[]), None);
        assert_eq!(counted(&line), ["Status4xx"], "{front:?}");
    }
    let line = line_for(&site, "{not json", None);
    assert_eq!(line["fields"]["status"], 400);
    assert_eq!(counted(&line), ["Status4xx"]);
}

#[test]
fn a_refused_login_counts_as_401_and_as_a_login_refused() {
    let site = private_site();
    let keys = Keys(Some(vec![(
        KID.to_string(),
        PublicKey::from_pem(&signer().public_pem()).unwrap(),
    )]));
    for front in Front::ALL {
        let line = line_for(&site, &get(front, "/docs/guide", &[]), Some(&keys));
        assert_eq!(line["fields"]["status"], 401, "{front:?}");
        assert_eq!(counted(&line), ["Status4xx", "LoginsRefused"], "{front:?}");
    }
    let granted = line_for(
        &site,
        &get(Front::Alb, "/docs/guide", &[("x-amzn-oidc-data", &token())]),
        Some(&keys),
    );
    assert_eq!(counted(&granted), ["Status2xx"]);
}

#[test]
fn keys_that_cannot_be_had_count_as_5xx_and_as_a_key_fetch_failure() {
    let site = private_site();
    for front in Front::ALL {
        let line = line_for(
            &site,
            &get(front, "/docs/guide", &[("x-amzn-oidc-data", &token())]),
            Some(&Keys(None)),
        );
        assert_eq!(line["fields"]["status"], 503, "{front:?}");
        assert_eq!(
            counted(&line),
            ["Status5xx", "KeyFetchFailures"],
            "{front:?}"
        );
    }
}

#[test]
fn a_header_cannot_forge_a_metric_or_a_dimension() {
    let site = public_site();
    let forged = r#""_aws":{"Timestamp":1,"CloudWatchMetrics":[]},"Requests":1000000,"Door":"x"#;
    for front in Front::ALL {
        let event = get(
            front,
            "/",
            &[("user-agent", forged), ("host", "\"Status5xx\":1,\"a\":\"")],
        );
        let line = line_for(&site, &event, None);
        assert_eq!(line["fields"]["userAgent"], forged, "{front:?}");
        assert_eq!(line["Requests"], 1, "{front:?}");
        assert!(line.get("Status5xx").is_none(), "{front:?}");
        assert_ne!(line["Door"], "x", "{front:?}");
        let root: Vec<&String> = line.as_object().unwrap().keys().collect();
        assert_eq!(
            root.iter().filter(|k| k.as_str() == "_aws").count(),
            1,
            "{front:?}"
        );
    }
}

#[test]
fn text_lines_carry_no_metrics() {
    let log = AccessLog::new("Text", "").with_metrics(Metrics::new("StaticSite", "f").unwrap());
    let site = public_site();
    let event = get(Front::Alb, "/", &[]);
    let (response, request) = handler::handle_with(&site, &event, &Shell::default());
    let (mut out, mut buf) = (Vec::new(), Vec::new());
    log.write(
        &mut out,
        &mut buf,
        &Entry::new(&request, &response, 1, 1),
        None,
    )
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(
        text.starts_with("INFO ") && !text.contains("_aws"),
        "{text}"
    );
}

// ---- the built binary ------------------------------------------------------------------------

/// `bootstrap invoke -` of an ALB event for `/`, with `env`: its exit code and stderr.
fn invoke(env: &[(&str, &str)]) -> (i32, String) {
    let unset = [
        "SITE_METRICS",
        "SITE_METRICS_NAMESPACE",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_LOG_FORMAT",
        "AWS_LAMBDA_LOG_LEVEL",
        "RUST_LOG",
    ];
    let event = common::event("GET", "/", &[]).to_string();
    let out = common::bootstrap_invoke(&event, env, &unset);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_binarys_line_names_the_lambda_function_and_the_namespace_set() {
    let (code, stderr) = invoke(&[
        ("AWS_LAMBDA_FUNCTION_NAME", "docs-site"),
        ("SITE_METRICS_NAMESPACE", "Team/Docs"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let line = check_emf(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(line["FunctionName"], "docs-site");
    assert_eq!(line["Door"], "alb");
    assert_eq!(
        line["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "Team/Docs"
    );
    assert_eq!(line["Status2xx"], 1);
}

#[test]
fn site_metrics_off_leaves_the_line_without_metrics() {
    let (code, stderr) = invoke(&[("SITE_METRICS", "off")]);
    assert_eq!(code, 0, "{stderr}");
    let line: Value = serde_json::from_str(stderr.lines().last().unwrap()).unwrap();
    assert_eq!(line["fields"]["status"], 200);
    assert!(
        line.get("_aws").is_none() && line.get("Requests").is_none(),
        "{line}"
    );
}

#[test]
fn a_namespace_cloudwatch_would_refuse_stops_the_binary_with_the_reason() {
    let (code, stderr) = invoke(&[("SITE_METRICS_NAMESPACE", "AWS/Lambda")]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("SITE_METRICS_NAMESPACE=\"AWS/Lambda\" is not a CloudWatch namespace"),
        "{stderr}"
    );
}
