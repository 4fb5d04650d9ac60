//! Embeds the site: walks SITE_DIR (default `site/`), encodes every file (identity, gzip, brotli),
//! resolves `_headers`, plans the URL routes and writes a static table to OUT_DIR that
//! `src/site.rs` includes. Everything a response needs is decided here, not at start-up.
//!
//! Why generated `include_str!` tables and not `include_dir`: include_dir looks files up by a
//! linear scan, does not notice new files, and has nowhere to keep the precompressed, base64-ready
//! variants and per-file headers that make a request a table lookup.

#[path = "build/encode.rs"]
mod encode;
#[path = "build/media.rs"]
mod media;
#[path = "src/path.rs"]
#[allow(dead_code)]
mod path;
#[path = "build/routes.rs"]
mod routes;
#[path = "src/rules.rs"]
#[allow(dead_code)]
mod rules;
#[path = "build/settings.rs"]
mod settings;
#[path = "src/table.rs"]
#[allow(dead_code)]
mod table;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rayon::prelude::*;

use encode::{Encoded, Source};
use routes::Target;
use settings::{Settings, SpaSetting, TooLarge};
use table::Encoding;

/// ALB rejects a response JSON over 1 MB; stay under 10^6 bytes whichever "MB" it means.
const RESPONSE_LIMIT: u64 = 1_000_000;
/// Room for the headers added per request (Content-Range, HSTS, Vary...) and a safety margin.
const RESPONSE_MARGIN: u64 = 2_048;

struct SiteFile {
    /// "/blog/index.html"
    site_path: String,
    abs: PathBuf,
}

struct Prepared {
    content_type: String,
    cache_control: String,
    modified: u64,
    headers: Vec<(String, String)>,
    hsts: bool,
    variants: Vec<Encoded>,
    fits: Vec<bool>,
}

fn main() {
    if let Err(message) = run() {
        eprintln!("\nerror: the site could not be embedded:\n{message}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    // The site table is thousands of `&'static str`s; in a position-independent executable
    // each is a relocation the loader applies at every cold start (2.9x slower start-up at
    // 10,000 files). Linked non-PIE, the linker resolves them once, and the table stays
    // clean file-backed pages. Only this package's binaries; tests and examples are unchanged.
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("linux") {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
    for var in ["SITE_DIR", "SITE_CONFIG", "SOURCE_DATE_EPOCH"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let site_dir = std::env::var_os("SITE_DIR")
        .map(|d| manifest.join(d))
        .unwrap_or_else(|| manifest.join("site"));
    let config_path = std::env::var_os("SITE_CONFIG")
        .map(|p| manifest.join(p))
        .unwrap_or_else(|| manifest.join("site.toml"));

    println!("cargo::rerun-if-changed={}", config_path.display());
    let settings = match fs::read_to_string(&config_path) {
        Ok(text) => {
            Settings::parse(&text).map_err(|e| format!("{}: {e}", config_path.display()))?
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Settings::default(),
        Err(e) => return Err(format!("{}: {e}", config_path.display())),
    };

    if !site_dir.is_dir() {
        return Err(format!(
            "SITE_DIR {} is not a folder (set SITE_DIR to your site's build output)",
            site_dir.display()
        ));
    }
    // A folder path makes Cargo rescan the whole tree, so new, changed and deleted files rebuild.
    println!("cargo::rerun-if-changed={}", site_dir.display());
    let site_root = site_dir
        .canonicalize()
        .map_err(|e| format!("{}: {e}", site_dir.display()))?;

    let mut files = Vec::new();
    let mut warnings = Vec::new();
    walk(&site_root, &site_root, &mut files, &mut warnings)?;
    files.sort_by(|a, b| a.site_path.cmp(&b.site_path));
    if files.is_empty() {
        return Err(format!("{} has no files to serve", site_dir.display()));
    }

    let header_rules = parse_rules_file(&site_root.join("_headers"), rules::parse_headers)?;
    let redirects_path = site_root.join("_redirects");
    let redirect_rules = parse_rules_file(&redirects_path, rules::parse_redirects)?;

    let epoch = source_date_epoch()?;
    let cache = out_dir.join("blobs");
    fs::create_dir_all(&cache).map_err(|e| format!("{}: {e}", cache.display()))?;
    let options = encode::Options {
        gzip: settings.compression.gzip,
        brotli: settings.compression.brotli,
        max_ratio: settings.compression.max_ratio,
    };

    let site_paths: Vec<String> = files.iter().map(|f| f.site_path.clone()).collect();
    let prepared: Vec<Result<Prepared, String>> = files
        .par_iter()
        .map(|f| prepare(f, &settings, &header_rules, epoch, &options, &cache))
        .collect();
    let mut prepared_ok = Vec::with_capacity(prepared.len());
    for p in prepared {
        prepared_ok.push(p?);
    }

    for (f, p) in files.iter().zip(&prepared_ok) {
        let cookies = p
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
            .count();
        if cookies > 1 {
            warnings.push(format!(
                "{} gets {cookies} Set-Cookie headers from _headers; without multi-value headers on the target group ALB can send only one (the first)",
                f.site_path
            ));
        }
    }

    // Files nothing can serve within the response limit.
    let mut too_large = Vec::new();
    let mut excluded = vec![false; files.len()];
    let mut external = BTreeMap::new();
    for (i, p) in prepared_ok.iter().enumerate() {
        if !p.fits.iter().any(|&f| f) {
            too_large.push(i);
        }
    }
    if !too_large.is_empty() {
        let list = too_large
            .iter()
            .map(|&i| {
                let p = &prepared_ok[i];
                let sizes = p
                    .variants
                    .iter()
                    .map(|v| format!("{} {} bytes", v.encoding.token(), v.len))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("  {} ({sizes})", files[i].site_path)
            })
            .collect::<Vec<_>>()
            .join("\n");
        match settings.limits.too_large {
            TooLarge::Fail => {
                return Err(format!(
                    "these files cannot be served within ALB's 1 MB response limit in any encoding:\n{list}\n\
                     Make them smaller, or set limits.too_large = \"skip\" or \"redirect\" in the settings file."
                ))
            }
            TooLarge::Skip => {
                warnings.push(format!("left out, too large for one ALB response:\n{list}"));
                for &i in &too_large {
                    excluded[i] = true;
                }
            }
            TooLarge::Redirect => {
                warnings.push(format!(
                    "redirected to {}, too large for one ALB response:\n{list}",
                    settings.limits.external_prefix
                ));
                for &i in &too_large {
                    excluded[i] = true;
                    let prefix = settings.limits.external_prefix.trim_end_matches('/');
                    external.insert(
                        i,
                        format!("{prefix}{}", rules::encode_path(&files[i].site_path)),
                    );
                }
            }
        }
    }

    // Routes over the files that stay, with table indices renumbered.
    let kept: Vec<usize> = (0..files.len()).filter(|&i| !excluded[i]).collect();
    let kept_paths: Vec<String> = kept.iter().map(|&i| site_paths[i].clone()).collect();
    let (mut route_map, route_warnings) = routes::build(&kept_paths, &settings);
    warnings.extend(route_warnings);
    for (i, location) in &external {
        for url in routes::served_at(&site_paths[*i], &settings)
            .into_iter()
            .chain([site_paths[*i].clone()])
        {
            route_map
                .entry(url)
                .or_insert_with(|| Target::Redirect(location.clone()));
        }
    }

    // A rewrite with a fixed target must name something the site serves.
    for r in &redirect_rules {
        if matches!(r.status, 200 | 404) && !r.to.contains(':') {
            // Routes are keyed by decoded paths; decode the target as a request would be.
            let raw = r.to.split('?').next().unwrap_or("");
            let target = path::decode(raw)
                .map(|p| p.into_owned())
                .unwrap_or_default();
            if !route_map.contains_key(&target) {
                return Err(format!(
                    "{}:{}: the {} rewrite target {} is not a page of the site",
                    redirects_path.display(),
                    r.line,
                    r.status,
                    r.to
                ));
            }
        }
    }

    let has = |p: &str| kept_paths.iter().any(|k| k == p);
    let spa = match settings.spa {
        SpaSetting::On => {
            if !has("/index.html") {
                return Err("spa = \"on\" needs an index.html at the top of the site".into());
            }
            true
        }
        SpaSetting::Off => false,
        SpaSetting::Auto => has("/index.html") && !has("/404.html"),
    };

    let code = generate(&Plan {
        kept: &kept,
        files: &files,
        prepared: &prepared_ok,
        routes: &route_map,
        settings: &settings,
        spa,
        kept_paths: &kept_paths,
        redirects: &redirect_rules,
    });
    let table = out_dir.join("site_table.rs");
    // Only rewrite when it changed, so an unchanged site does not recompile the crate.
    if fs::read_to_string(&table).ok().as_deref() != Some(code.as_str()) {
        fs::write(&table, code).map_err(|e| format!("{}: {e}", table.display()))?;
    }
    for w in warnings {
        for line in w.lines() {
            println!("cargo::warning={line}");
        }
    }
    Ok(())
}

/// Parses an optional rules file (`_headers`, `_redirects`); errors read `path:line: reason`.
fn parse_rules_file<T>(
    path: &Path,
    parse: fn(&str) -> Result<Vec<T>, rules::RuleError>,
) -> Result<Vec<T>, String> {
    match fs::read_to_string(path) {
        Ok(text) => {
            parse(&text).map_err(|e| format!("{}:{}: {}", path.display(), e.line, e.message))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

fn env(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set (build.rs runs under cargo)"))
}

fn source_date_epoch() -> Result<Option<u64>, String> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => {
            v.trim().parse::<u64>().map(Some).map_err(|_| {
                format!("SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970")
            })
        }
        _ => Ok(None),
    }
}

/// Collects servable files: no dotfiles or dot-folders (but `.well-known/`), no `_headers` or
/// `_redirects`, no symlink that leaves the site.
fn walk(
    root: &Path,
    dir: &Path,
    out: &mut Vec<SiteFile>,
    warnings: &mut Vec<String>,
) -> Result<(), String> {
    let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(format!(
                "{}: file names must be UTF-8 to be served",
                path.display()
            ));
        };
        let rel_dir = dir.strip_prefix(root).unwrap_or(Path::new(""));
        let at_top = rel_dir.as_os_str().is_empty();
        if name.starts_with('.') && !(at_top && name == ".well-known") {
            continue;
        }
        if at_top && matches!(name, "_headers" | "_redirects") {
            continue;
        }
        if name.chars().any(|c| c.is_control() || c == '\\') {
            return Err(format!(
                "{}: a file name with a control character or backslash cannot be requested safely",
                path.display()
            ));
        }
        let meta = fs::metadata(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        if entry.file_type().map(|t| t.is_symlink()).unwrap_or(false) {
            let target = path
                .canonicalize()
                .map_err(|e| format!("{}: {e}", path.display()))?;
            if !target.starts_with(root) {
                warnings.push(format!(
                    "{} is a symlink out of the site; it is not served",
                    path.display()
                ));
                continue;
            }
        }
        if meta.is_dir() {
            walk(root, &path, out, warnings)?;
        } else if meta.is_file() {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let mut site_path = String::new();
            for c in rel.components() {
                site_path.push('/');
                site_path.push_str(&c.as_os_str().to_string_lossy());
            }
            out.push(SiteFile {
                site_path,
                abs: path,
            });
        }
    }
    Ok(())
}

fn prepare(
    f: &SiteFile,
    settings: &Settings,
    rules: &[rules::HeaderRule],
    epoch: Option<u64>,
    options: &encode::Options,
    cache: &Path,
) -> Result<Prepared, String> {
    let err = |e: std::io::Error| format!("{}: {e}", f.abs.display());
    let bytes = fs::read(&f.abs).map_err(err)?;
    let modified = match epoch {
        Some(s) => s,
        None => fs::metadata(&f.abs)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs()),
    };
    let mut content_type = media::content_type(&f.site_path);
    let mut cache_control = media::cache_control(&f.site_path, &content_type, settings);
    let mut headers = settings.security_headers();
    let mut from_rule = vec![false; headers.len()];
    let mut hsts = !settings.security.hsts.is_empty();

    let mut urls = routes::served_at(&f.site_path, settings);
    urls.push(f.site_path.clone());
    for rule in rules {
        if !urls
            .iter()
            .any(|u| rules::match_pattern(&rule.pattern, u).is_some())
        {
            continue;
        }
        for op in &rule.ops {
            match op {
                rules::HeaderOp::Set(name, value) => {
                    let lower = name.to_ascii_lowercase();
                    if lower == "content-type" {
                        content_type = value.clone();
                    } else if lower == "cache-control" {
                        cache_control = value.clone();
                    } else if lower == "strict-transport-security" {
                        return Err(format!(
                            "_headers:{}: set HSTS with security.hsts in the settings file (it is sent only over https)",
                            rule.line
                        ));
                    } else if lower == "set-cookie" {
                        headers.push((name.clone(), value.clone()));
                        from_rule.push(true);
                    } else if let Some(k) = headers
                        .iter()
                        .position(|(n, _)| n.eq_ignore_ascii_case(name))
                    {
                        // A rule replaces a default; two rules join their values, as Cloudflare does.
                        if from_rule[k] {
                            headers[k].1 = format!("{}, {value}", headers[k].1);
                        } else {
                            headers[k] = (name.clone(), value.clone());
                            from_rule[k] = true;
                        }
                    } else {
                        headers.push((name.clone(), value.clone()));
                        from_rule.push(true);
                    }
                }
                rules::HeaderOp::Detach(name) => {
                    let lower = name.to_ascii_lowercase();
                    if lower == "strict-transport-security" {
                        hsts = false;
                    } else if lower == "cache-control" {
                        cache_control.clear();
                    } else {
                        let mut k = 0;
                        while k < headers.len() {
                            if headers[k].0.eq_ignore_ascii_case(name) {
                                headers.remove(k);
                                from_rule.remove(k);
                            } else {
                                k += 1;
                            }
                        }
                    }
                }
            }
        }
    }

    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let variants = encode::encode_file(
        &bytes,
        media::is_text(&essence),
        media::is_compressible(&content_type),
        options,
        cache,
    )
    .map_err(err)?;

    // The exact size of the largest response a variant can produce, so none ever reaches ALB's
    // limit: every header this file can carry, the envelope, and the body as a JSON string.
    let mut fixed = 0u64;
    for (n, v) in &headers {
        fixed += encode::json_string_len(n) + encode::json_string_len(v) + 4;
    }
    for (n, v) in [
        ("Content-Type", content_type.as_str()),
        ("Cache-Control", cache_control.as_str()),
        ("Last-Modified", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("Strict-Transport-Security", settings.security.hsts.as_str()),
    ] {
        fixed += encode::json_string_len(n) + encode::json_string_len(v) + 4;
    }
    let fits = variants
        .iter()
        .map(|v| fixed + v.json_len + RESPONSE_MARGIN <= RESPONSE_LIMIT)
        .collect();

    Ok(Prepared {
        content_type,
        cache_control,
        modified,
        headers,
        hsts,
        variants,
        fits,
    })
}

fn http_date(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(secs))
}

fn lit(s: &str) -> String {
    format!("{s:?}")
}

/// Everything the generated table is made from.
struct Plan<'a> {
    kept: &'a [usize],
    files: &'a [SiteFile],
    prepared: &'a [Prepared],
    routes: &'a BTreeMap<String, Target>,
    settings: &'a Settings,
    spa: bool,
    kept_paths: &'a [String],
    redirects: &'a [rules::RedirectRule],
}

fn generate(plan: &Plan<'_>) -> String {
    let Plan {
        kept,
        files,
        prepared,
        routes,
        settings,
        spa,
        kept_paths,
        redirects,
    } = *plan;
    let mut c = String::new();
    c.push_str("// Generated by build.rs from the site folder. Do not edit.\n\n");
    c.push_str("pub static FILES: &[File] = &[\n");
    let mut site_bytes = 0u64;
    let mut variant_id = 0u32;
    for &i in kept {
        let p = &prepared[i];
        site_bytes += p.variants[0].len;
        let _ = write!(
            c,
            "  File {{ path: {}, content_type: {}, cache_control: {}, last_modified: {}, modified: {}, hsts: {},\n    headers: &[",
            lit(&files[i].site_path),
            lit(&p.content_type),
            lit(&p.cache_control),
            lit(&http_date(p.modified)),
            p.modified,
            p.hsts,
        );
        for (n, v) in &p.headers {
            let _ = write!(c, "({}, {}), ", lit(n), lit(v));
        }
        c.push_str("],\n    variants: &[\n");
        for (v, fits) in p.variants.iter().zip(&p.fits) {
            let Source { path, base64 } = &v.source;
            let body = format!(
                "json: include_str!({}), base64: {base64}, id: {variant_id}",
                lit(&path.to_string_lossy())
            );
            variant_id += 1;
            let enc = match v.encoding {
                Encoding::Identity => "Identity",
                Encoding::Gzip => "Gzip",
                Encoding::Brotli => "Brotli",
            };
            let _ = writeln!(
                c,
                "      Variant {{ encoding: Encoding::{enc}, etag: {}, {body}, len: {}, fits: {fits} }},",
                lit(&v.etag),
                v.len
            );
        }
        c.push_str("    ] },\n");
    }
    c.push_str("];\n\n");

    // Routes in byte order (for listings and `bootstrap info`); ROUTE_INDEX below finds them.
    c.push_str("pub static ROUTES: &[(&str, Route)] = &[\n");
    for (url, target) in routes {
        let route = match target {
            Target::File(k) => format!("Route::File({k})"),
            Target::Redirect(to) => {
                let loc = if to.starts_with('/') {
                    rules::encode_path(to)
                } else {
                    to.clone()
                };
                format!("Route::Redirect({})", lit(&loc))
            }
        };
        let _ = writeln!(c, "  ({}, {route}),", lit(url));
    }
    c.push_str("];\n\n");

    // A perfect hash from URL path to its slot in ROUTES, so a lookup costs one hash and one
    // comparison however many routes the site has.
    let mut index = phf_codegen::Map::new();
    for (slot, url) in routes.keys().enumerate() {
        index.entry(url.as_str(), slot.to_string());
    }
    let _ = writeln!(
        c,
        "pub static ROUTE_INDEX: phf::Map<&'static str, u32> = {};\n",
        index.build()
    );

    c.push_str("pub static REDIRECTS: &[Redirect] = &[\n");
    for r in redirects {
        let _ = writeln!(
            c,
            "  Redirect {{ from: {}, to: {}, status: {}, force: {} }},",
            lit(&r.from),
            lit(&r.to),
            r.status,
            r.force
        );
    }
    c.push_str("];\n\n");

    c.push_str("pub static NOT_FOUND_PAGES: &[(&str, u32)] = &[\n");
    let mut pages: Vec<(String, usize)> = kept_paths
        .iter()
        .enumerate()
        .filter_map(|(k, p)| {
            p.strip_suffix("404.html")
                .filter(|d| d.ends_with('/'))
                .map(|d| (d.to_string(), k))
        })
        .collect();
    pages.sort();
    for (dir, k) in pages {
        let _ = writeln!(c, "  ({}, {k}),", lit(&dir));
    }
    c.push_str("];\n\n");

    let index = kept_paths.iter().position(|p| p == "/index.html");
    let _ = writeln!(
        c,
        "pub static INDEX: Option<u32> = {};",
        index.map_or("None".to_string(), |k| format!("Some({k})"))
    );
    let _ = writeln!(c, "pub static SITE_BYTES: u64 = {site_bytes};");
    let _ = writeln!(c, "pub const VARIANT_COUNT: usize = {variant_id};");
    let mut defaults = String::new();
    for (n, v) in settings.security_headers() {
        let _ = write!(defaults, "({}, {}), ", lit(&n), lit(&v));
    }
    let hsts = if settings.security.hsts.is_empty() {
        "None".to_string()
    } else {
        format!("Some({})", lit(&settings.security.hsts))
    };
    let _ = writeln!(
        c,
        "pub static SETTINGS: Settings = Settings {{ health_path: {}, spa: {}, redirect_status: {}, hsts: {hsts}, default_headers: &[{defaults}], error_cache_control: {} }};",
        lit(&settings.health_path),
        if spa { "Spa::On" } else { "Spa::Off" },
        settings.redirect_status,
        lit(&settings.cache.errors),
    );
    c
}
