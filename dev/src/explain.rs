//! `explain PATH`: for one request, which file or rule answers, the status, and every header
//! that would be sent with where it came from (a default, `_headers` line N, `site.toml`, or
//! the server per response). The answer itself is the Lambda handler's, on the site planned in
//! memory, checked by ALB's rules; which file or rule answered is the handler's own decision
//! too (`handler::explain`: the steps `resolve` took, mount included); only the headers'
//! origins are worked out here.

use std::collections::HashMap;
use std::path::Path;
use std::process::ExitCode;

use hyper::header::{HeaderName, HeaderValue};
use hyper::HeaderMap;
use local_alb::event;
use site_core::plan::config::Config;
use site_core::plan::routes::served_at;
use site_core::plan::Plan;
use site_core::rules::{match_pattern, parse_headers, HeaderOp};
use site_core::site::Site;
use site_server::handler::{self, Mounted};
use site_server::resolve::{Outcome, Step};

use crate::load::{self, Source};
use crate::serve;

/// What answers a request, as `resolve` decides it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The server itself: 405, 400, 414.
    Server(String),
    /// The health check path (no file there).
    Health,
    /// A `_redirects` rule: its line, what it says, and the file a rewrite serves.
    Rule {
        line: usize,
        text: String,
        file: Option<u32>,
    },
    /// A file at its URL.
    File(u32),
    /// The site's own redirect to the canonical URL (clean URLs, trailing slashes).
    Canonical(String),
    /// Nothing: the single-page-app fallback's index.html.
    Spa(u32),
    /// Nothing: the nearest 404.html.
    NotFoundPage(u32),
    /// Nothing, and no page for it.
    NotFound,
    /// The site's `mount` without its slash: redirected to it with one (this URL).
    Mount(String),
    /// Outside the site's `mount` (this one): nothing of the site.
    OutsideMount(String),
}

impl Answer {
    /// The file whose headers the response carries, if any.
    pub fn file(&self) -> Option<u32> {
        match self {
            Answer::File(k) | Answer::Spa(k) | Answer::NotFoundPage(k) => Some(*k),
            Answer::Rule { file, .. } => *file,
            _ => None,
        }
    }

    fn describe(&self, site: &Site, redirects_file: &str) -> String {
        let path = |k: &u32| site.file(*k).path.to_string();
        match self {
            Answer::Server(why) => format!("the server itself ({why})"),
            Answer::Health => format!(
                "the health check (health_path = {:?} in site.toml; no file there)",
                &*site.options.health_path
            ),
            Answer::Rule { line, text, file } => match file {
                Some(k) => format!("{redirects_file} line {line} ({text}), serving the file {}", path(k)),
                None => format!("{redirects_file} line {line} ({text})"),
            },
            Answer::File(k) => format!("the file {}", path(k)),
            Answer::Canonical(to) => format!(
                "the site's own redirect to its canonical URL {to} (clean_urls / trailing_slash in site.toml)"
            ),
            Answer::Spa(k) => format!(
                "no file: the single-page-app fallback (spa in site.toml) serves {}",
                path(k)
            ),
            Answer::NotFoundPage(k) => format!("no file: the nearest 404 page, {}", path(k)),
            Answer::NotFound => "no file, and no 404.html above it: the server's own 404".into(),
            Answer::Mount(to) => format!("the site's mount (mount in site.toml): a redirect to {to}"),
            Answer::OutsideMount(mount) => {
                format!("nothing: the path is outside the site's mount, {mount} (mount in site.toml)")
            }
        }
    }
}

/// What answers an event: the handler's own decision (`site_server::handler::explain`: the
/// same parse, mount and `resolve`), named by the steps `resolve` took.
pub fn answer(site: &Site, plan: &Plan, event: &str) -> Answer {
    let mut steps: Vec<Step> = Vec::new();
    let (mounted, outcome) = match handler::explain(site, event, &mut steps) {
        Ok(decided) => decided,
        Err(e) => return Answer::Server(format!("400: {e}")),
    };
    match mounted {
        Mounted::AtMount => return Answer::Mount(format!("{}/", &*site.options.mount)),
        Mounted::Outside => return Answer::OutsideMount(site.options.mount.to_string()),
        Mounted::Inside => {}
    }
    match steps.last() {
        Some(&Step::Rule { index, file }) => {
            let rule = &site.redirects[index];
            Answer::Rule {
                line: plan.redirects[index].line,
                text: format!(
                    "{} {} {}{}",
                    rule.from,
                    rule.to,
                    rule.action.status().code(),
                    if rule.force { "!" } else { "" }
                ),
                file,
            }
        }
        Some(&Step::File(k)) => Answer::File(k),
        Some(Step::Canonical) => match outcome {
            Outcome::Redirect { location, .. } => Answer::Canonical(location),
            _ => Answer::Server("414: the canonical URL would be too long".into()),
        },
        Some(&Step::Spa(k)) => Answer::Spa(k),
        Some(&Step::NotFoundPage(k)) => Answer::NotFoundPage(k),
        None => match outcome {
            Outcome::Health => Answer::Health,
            Outcome::MethodNotAllowed => Answer::Server("405: only GET and HEAD".into()),
            Outcome::BadRequest(why) => Answer::Server(format!("400: the path is refused ({why})")),
            Outcome::UriTooLong => Answer::Server("414: the path is too long".into()),
            _ => Answer::NotFound,
        },
    }
}

/// Where each header of a file comes from: lowercase name → origins, in order. `at`: the URL a
/// rewrite or the SPA fallback serves the file at, whose `_headers` rules then apply instead of
/// those of the file's own URLs (as the server decides).
pub fn header_origins(
    plan: &Plan,
    file: usize,
    at: Option<&str>,
    headers_file: &Path,
) -> HashMap<String, Vec<String>> {
    let f = &plan.files[file];
    let config = &plan.config;
    let shown = load::shown(headers_file);
    let mut origins: HashMap<String, Vec<String>> = HashMap::new();
    let mut from_rule: HashMap<String, bool> = HashMap::new();
    let ext = f.site_path.rsplit_once('.').map_or("", |(_, e)| e);
    origins.insert(
        "content-type".into(),
        vec![format!("default: the media type of .{ext}")],
    );
    origins.insert("cache-control".into(), vec![cache_origin(f, config)]);
    for (name, _) in config.security_headers() {
        origins.insert(
            name.to_ascii_lowercase(),
            vec!["site.toml [security] headers (default on)".into()],
        );
    }
    let urls = match at {
        Some(url) => vec![url.to_string()],
        None => {
            let mut urls = served_at(&f.site_path, config);
            urls.push(f.site_path.clone());
            urls
        }
    };
    let text = std::fs::read_to_string(headers_file).unwrap_or_default();
    let Ok(rules) = parse_headers(&text) else {
        return origins;
    };
    let lines: Vec<&str> = text.lines().collect();
    for rule in &rules {
        if !urls
            .iter()
            .any(|u| match_pattern(&rule.pattern, u).is_some())
        {
            continue;
        }
        let op_lines = op_lines(&lines, rule.line);
        for (op, line) in rule.ops.iter().zip(op_lines) {
            let at = format!("{shown} line {line} ({})", rule.pattern);
            match op {
                HeaderOp::Set(name, _) => {
                    let lower = name.to_ascii_lowercase();
                    let joined = lower != "set-cookie"
                        && from_rule.get(&lower).copied().unwrap_or(false)
                        && !matches!(lower.as_str(), "content-type" | "cache-control");
                    let entry = origins.entry(lower.clone()).or_default();
                    if joined || lower == "set-cookie" {
                        entry.push(at);
                    } else {
                        *entry = vec![at];
                    }
                    from_rule.insert(lower, true);
                }
                HeaderOp::Detach(name) => {
                    let lower = name.to_ascii_lowercase();
                    origins.insert(lower.clone(), vec![format!("removed by {at}")]);
                    from_rule.remove(&lower);
                }
            }
        }
    }
    origins
}

/// The lines of a rule's `Name: value` and `! Name` lines, after its pattern on `pattern_line`.
fn op_lines(lines: &[&str], pattern_line: usize) -> Vec<usize> {
    let mut out = Vec::new();
    for (i, raw) in lines.iter().enumerate().skip(pattern_line) {
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if !(raw.starts_with(' ') || raw.starts_with('\t')) {
            break;
        }
        out.push(i + 1);
    }
    out
}

fn cache_origin(f: &site_core::plan::PlannedFile, config: &Config) -> String {
    let planned =
        site_core::plan::media::cache_control(&f.site_path, &f.headers.content_type, config);
    let key = if planned == config.cache.html && f.headers.content_type.starts_with("text/html") {
        "html (a page)"
    } else if planned == config.cache.immutable && planned != config.cache.default {
        "immutable (a fingerprinted name)"
    } else {
        "default"
    };
    format!("site.toml [cache] {key}")
}

/// What the server computes for each response.
fn computed(name: &str, answer: &Answer, epoch: Option<u64>) -> Option<String> {
    Some(match name {
        "etag" => "the server: a hash of the bytes of the encoding sent".into(),
        "last-modified" => match epoch {
            Some(_) => "the server: SOURCE_DATE_EPOCH".into(),
            None => "the server: the file's modification time".into(),
        },
        "vary" => "the server: the file has compressed variants (or a login decides)".into(),
        "content-encoding" => {
            "the server: the best encoding Accept-Encoding allows (made at build time)".into()
        }
        "accept-ranges" | "content-range" => "the server: byte ranges".into(),
        "content-length" => "ALB: the length of the body".into(),
        "server" => "ALB".into(),
        "location" => match answer {
            Answer::Canonical(_) => "the site's own redirect (clean_urls / trailing_slash)".into(),
            Answer::Rule { .. } => "the _redirects rule's target, the query kept".into(),
            _ => "the server".into(),
        },
        "allow" => "the server: GET and HEAD only".into(),
        "strict-transport-security" => "site.toml security.hsts (sent over https only)".into(),
        "www-authenticate" => "the server: [auth]".into(),
        _ => return None,
    })
}

/// Explains one request; prints the report. Exit 1 when the site cannot be planned.
pub fn run(
    source: &Source,
    raw: &str,
    method: &str,
    headers: &[(String, String)],
    multi_value: bool,
) -> ExitCode {
    let loaded = match load::load(source) {
        Ok(l) => l,
        Err(e) => {
            for line in e.lines() {
                eprintln!("error: {line}");
            }
            return ExitCode::from(1);
        }
    };
    match explain(
        &loaded.site,
        &loaded.plan,
        source,
        raw,
        method,
        headers,
        multi_value,
    ) {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// The report for one request.
pub fn explain(
    site: &Site,
    plan: &Plan,
    source: &Source,
    raw: &str,
    method: &str,
    headers: &[(String, String)],
    multi_value: bool,
) -> Result<String, String> {
    let (path, query) = match raw.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (raw, None),
    };
    let mut map = HeaderMap::new();
    map.insert("host", HeaderValue::from_static("localhost"));
    for (n, v) in headers {
        let name =
            HeaderName::from_bytes(n.as_bytes()).map_err(|_| format!("bad header name {n:?}"))?;
        let value = HeaderValue::from_str(v).map_err(|_| format!("bad value for {n}"))?;
        map.append(name, value);
    }
    let line = event::RequestLine {
        method,
        path,
        query,
    };
    let ctx = event::Context {
        target_group_arn: serve::TARGET_GROUP_ARN,
        multi_value,
        client_ip: "127.0.0.1".into(),
        listen_port: 80,
        trace_id: "Root=1-00000000-000000000000000000000000",
    };
    let event = event::build(&line, &map, b"", &ctx)?.to_string();
    let answer = answer(site, plan, &event);
    let root = source
        .site_dir
        .canonicalize()
        .unwrap_or_else(|_| source.site_dir.clone());
    let mut out = String::new();
    let mode = if multi_value {
        "multi-value"
    } else {
        "single-value"
    };
    let sent: Vec<String> = headers.iter().map(|(n, v)| format!("{n}: {v}")).collect();
    out.push_str(&format!(
        "{method} {raw}  ({mode} headers{})\n",
        if sent.is_empty() {
            String::from("; no request headers")
        } else {
            format!("; {}", sent.join("; "))
        }
    ));
    let redirects = load::shown(&root.join("_redirects"));
    out.push_str(&format!(
        "answered by: {}\n",
        answer.describe(site, &redirects)
    ));
    let reply = match serve::answer(site, &event, multi_value) {
        Ok(reply) => reply,
        Err(why) => {
            out.push_str(&format!(
                "status: 502 (ALB refuses the function's response: {why})\n"
            ));
            return Ok(out);
        }
    };
    let reason = hyper::StatusCode::from_u16(reply.status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    out.push_str(&format!("status: {} {reason}\n", reply.status));
    // A file's own headers go out with the file (200, 206, 304, or a 404 page); the server's
    // other answers about a file (406, 412, 416) carry the defaults.
    let file = answer
        .file()
        .filter(|_| matches!(reply.status, 200 | 206 | 304 | 404));
    // A 200/404 rewrite and the SPA fallback carry the rules of the URL asked for.
    // The site's own path: under a `mount`, the URL without it (as the handler unmounts it).
    let decoded = site_core::path::decode(path).ok().map(|p| {
        let mount = &*site.options.mount;
        match p.strip_prefix(mount) {
            Some(rest) if !mount.is_empty() && rest.starts_with('/') => rest.to_string(),
            _ => p.into_owned(),
        }
    });
    let at = match answer {
        Answer::Spa(_) | Answer::Rule { .. } => decoded.as_deref(),
        _ => None,
    };
    let origins = file
        .map(|k| header_origins(plan, k as usize, at, &root.join("_headers")))
        .unwrap_or_default();
    let epoch = source.epoch;
    let mut cookie_index: HashMap<String, usize> = HashMap::new();
    out.push_str("headers:\n");
    for (name, value) in &reply.headers {
        let lower = name.as_str().to_string();
        let origin = if let Some(c) = computed(&lower, &answer, epoch) {
            c
        } else if let Some(list) = origins.get(&lower) {
            if lower == "set-cookie" {
                let k = cookie_index.entry(lower.clone()).or_insert(0);
                let o = list.get(*k).cloned().unwrap_or_else(|| list.join(", "));
                *k += 1;
                o
            } else {
                list.join(" + ")
            }
        } else if file.is_none() {
            match lower.as_str() {
                "cache-control" => "site.toml [cache] errors (the server's own answers)".into(),
                "content-type" => "the server's own page".into(),
                _ => "site.toml [security] headers (the server's own answers)".into(),
            }
        } else {
            "the server".into()
        };
        out.push_str(&format!(
            "  {}: {}\n      <- {origin}\n",
            display_name(&lower),
            value.to_str().unwrap_or("(not text)")
        ));
    }
    let removed: Vec<(&String, &Vec<String>)> = {
        let mut r: Vec<_> = origins
            .iter()
            .filter(|(n, o)| {
                o.iter().any(|o| o.starts_with("removed by"))
                    && !reply.headers.iter().any(|(h, _)| h.as_str() == n.as_str())
            })
            .collect();
        r.sort();
        r
    };
    if !removed.is_empty() {
        out.push_str("not sent:\n");
        for (name, origin) in removed {
            out.push_str(&format!(
                "  {}\n      <- {}\n",
                display_name(name),
                origin.join(" + ")
            ));
        }
    }
    let encoding = reply
        .headers
        .iter()
        .find(|(n, _)| n == "content-encoding")
        .and_then(|(_, v)| v.to_str().ok())
        .unwrap_or("identity");
    out.push_str(&format!(
        "body: {} bytes ({encoding}); ALB accepts this response\n",
        reply.body.len()
    ));
    // The settings file by the name it was given (SITE_CONFIG).
    let settings = load::shown(&source.config);
    Ok(out.replace("site.toml", &settings))
}

/// `content-type` → `Content-Type`.
fn display_name(lower: &str) -> String {
    match lower {
        "etag" => return "ETag".into(),
        "www-authenticate" => return "WWW-Authenticate".into(),
        _ => {}
    }
    lower
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_ascii_uppercase().to_string() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("-")
}
