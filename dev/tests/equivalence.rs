//! Dev and the built Lambda binary answer identically: the same events through both give the
//! same ALB response JSON, byte for byte after parsing, Last-Modified included (both read the
//! same files' modification times, or both take SOURCE_DATE_EPOCH when it is set), and dev's
//! HTTP layer changes nothing but its own headers and the page script.
//!
//! The binary is the release `bootstrap` that `make test-dev` builds from the same SITE_DIR and
//! SITE_CONFIG (`BOOTSTRAP`, `DEV_EQUIV_SITE`, `DEV_EQUIV_CONFIG`), and, for the fixture sites
//! of `tests/sites/`, the debug bootstraps it builds for them (`DEV_EQUIV_FIXTURES`: `site/settings`
//! names, `-` for the defaults, binaries in `target/sites/bin/dev-equiv-site-settings`); without
//! those variables these tests say so and pass (a bare `cargo test` has no such builds).

mod common;

use std::path::{Path, PathBuf};

use local_alb::kit::alb_event::AlbEvent;
use local_alb::reply;
use serde_json::Value;
use site_core::site::{Route, Site};
use site_dev::inject;
use site_dev::load::{self, Source};

fn bootstrap() -> Option<PathBuf> {
    match std::env::var_os("BOOTSTRAP") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("BOOTSTRAP is not set (make test-dev sets it): dev is not compared with the built binary");
            None
        }
    }
}

/// The site the binary embeds, planned in memory as `make dev` plans it.
fn dev_site() -> Site {
    let repo = common::repo();
    let var = |name: &str, default: &str| {
        std::env::var_os(name).map_or_else(|| repo.join(default), PathBuf::from)
    };
    let epoch = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|v| v.trim().parse().ok());
    plan(
        var("DEV_EQUIV_SITE", "site"),
        var("DEV_EQUIV_CONFIG", "site.toml"),
        epoch,
    )
}

/// The sample events of `events/`.
fn sample_events() -> Vec<(String, String)> {
    let mut paths: Vec<_> = std::fs::read_dir(common::repo().join("events"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// The built binary's answer to one event (`bootstrap invoke -`).
fn binary(bootstrap: &Path, event: &str) -> Value {
    let out = local_alb::kit::invoke::local(bootstrap, event, &[], &["SITE_AUTH_SIGNER"]);
    assert!(out.status.success(), "bootstrap invoke failed on {event}");
    serde_json::from_slice(&out.stdout).expect("the binary prints JSON")
}

fn plan(site_dir: PathBuf, config: PathBuf, epoch: Option<u64>) -> Site {
    let source = Source {
        site_dir,
        config,
        cache_dir: common::repo().join("target/dev-cache"),
        epoch,
    };
    load::load(&source).unwrap_or_else(|e| panic!("{e}")).site
}

fn dev(site: &Site, event: &str) -> Value {
    serde_json::to_value(site_server::handler::handle_site(site, event)).unwrap()
}

#[test]
fn every_sample_event_gets_the_same_alb_response_from_dev_and_the_built_binary() {
    let Some(bootstrap) = bootstrap() else { return };
    let site = dev_site();
    let events = sample_events();
    assert!(
        events.len() >= 10,
        "only {} events in events/",
        events.len()
    );
    for (name, event) in &events {
        assert_eq!(dev(&site, event), binary(&bootstrap, event), "{name}");
    }
}

/// Every URL of the site, a path under each `_redirects` rule, and a few missing ones; each
/// as GET with no, gzip and br Accept-Encoding, and as HEAD; in both header modes.
fn table(site: &Site) -> Vec<String> {
    let mut paths: Vec<String> = site
        .routes()
        .map(|(url, _)| site_core::rules::encode_path(url))
        .collect();
    for rule in site.redirects.iter() {
        paths.push(
            rule.from
                .split('/')
                .map(|seg| match seg {
                    "*" => "a/b".to_string(),
                    s if s.starts_with(':') => "x".to_string(),
                    s => s.to_string(),
                })
                .collect::<Vec<_>>()
                .join("/"),
        );
    }
    paths.extend(
        [
            "/no-such-page",
            "/docs/guide/missing",
            "/app.3f9a.js",
            "/health",
            "/%ZZ",
        ]
        .map(String::from),
    );
    let mut events = Vec::new();
    for path in &paths {
        for multi in [false, true] {
            for (method, accept) in [
                ("GET", None),
                ("GET", Some("gzip")),
                ("GET", Some("gzip, deflate, br")),
                ("HEAD", Some("br")),
            ] {
                let mut e = AlbEvent::new(method, path)
                    .multi_value(multi)
                    .header("accept", "text/html,*/*;q=0.8");
                if let Some(a) = accept {
                    e = e.header("accept-encoding", a);
                }
                events.push(e.to_json().to_string());
            }
        }
    }
    events
}

#[test]
fn every_url_of_the_site_gets_the_same_response_from_dev_and_the_built_binary_in_both_modes() {
    let Some(bootstrap) = bootstrap() else { return };
    let site = dev_site();
    let events = table(&site);
    assert!(events.len() > 100);
    for event in &events {
        assert_eq!(dev(&site, event), binary(&bootstrap, event), "{event}");
    }
    assert!(site.routes().any(|(_, r)| matches!(r, Route::File(_))));
}

#[test]
fn dev_changes_only_its_own_headers_cache_control_and_the_page_script() {
    let site = dev_site();
    for event in table(&site) {
        let multi = event.contains("multiValueHeaders");
        let json = serde_json::to_vec(&site_server::handler::handle_site(&site, &event)).unwrap();
        let plain = reply::parse(&json, multi).unwrap_or_else(|e| panic!("{e}: {event}"));
        let shown = inject::dev_reply(reply::parse(&json, multi).unwrap());
        let own = |n: &str| n.starts_with("x-dev-") || n == "cache-control";
        let strip = |r: &reply::Reply| -> Vec<(String, String)> {
            r.headers
                .iter()
                .filter(|(n, _)| !own(n.as_str()))
                .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect()
        };
        assert_eq!(strip(&plain), strip(&shown), "{event}");
        assert_eq!(plain.status, shown.status, "{event}");
        let injected = shown
            .headers
            .iter()
            .any(|(n, _)| n == inject::RELOAD_HEADER);
        if !injected {
            assert_eq!(plain.body, shown.body, "{event}");
        }
    }
}

#[test]
fn every_fixture_site_gets_the_same_responses_from_dev_and_its_built_binary() {
    let Some(fixtures) = std::env::var("DEV_EQUIV_FIXTURES").ok() else {
        eprintln!("DEV_EQUIV_FIXTURES is not set (make test-dev sets it): the fixture sites are not compared");
        return;
    };
    let repo = common::repo();
    let mut compared = 0;
    for fixture in fixtures.split_whitespace() {
        let (name, settings) = fixture.split_once('/').expect("site/settings");
        let config = match settings {
            "-" => repo.join("target/sites/gen/no-settings.toml"),
            s => repo.join(format!("tests/sites/{name}/{s}.toml")),
        };
        let site = plan(repo.join(format!("tests/sites/{name}/site")), config, None);
        let bootstrap = repo.join(format!("target/sites/bin/dev-equiv-{name}-{settings}"));
        let mut events = table(&site);
        events.extend(sample_events().into_iter().map(|(_, e)| e));
        for event in &events {
            assert_eq!(
                dev(&site, event),
                binary(&bootstrap, event),
                "{fixture}: {event}"
            );
        }
        compared += 1;
    }
    assert!(compared > 0, "DEV_EQUIV_FIXTURES names no fixture");
}
