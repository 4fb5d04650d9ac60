//! The planner: a site folder and its settings in, everything a response needs out. One
//! conversion turns the [`Plan`] into bytes in the site format ([`pack`]); `build.rs` writes
//! them for the binary to embed ([`embed`]), tests and local tools open them in memory
//! ([`memory`]), and both read them through the same [`Site`](crate::site::Site). Each step is
//! its own module with its own tests:
//!
//! walk → media (type, cache policy) → headers (`_headers`) → encode (identity, gzip, br with
//! the [`compress`] policy; cached; [`progress`] reported) → limits (ALB's 1 MB) → routes →
//! rewrites checked → [`Plan`] → [`pack`].

pub mod compress;
pub mod config;
pub mod embed;
pub mod encode;
pub mod error;
pub mod headers;
pub mod media;
pub mod memo;
pub mod memory;
pub mod offload;
pub mod pack;
pub mod progress;
pub mod report;
pub mod routes;
pub mod walk;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use config::Config;
pub use error::PlanError;
pub use memo::Memo;

use crate::limits::{Fits, ResponseLimit};
use crate::path;
use crate::rules::{self, encode_path, HeaderRule, RedirectRule, RuleError};
use crate::site::{Action, Route};
use config::{LambdaSized, Spa, TooLarge};
use encode::Encoded;
use error::io;
use headers::FileHeaders;
use memo::{Remembered, Stamp};
use walk::SiteFile;

/// What to plan.
#[derive(Debug, Clone)]
pub struct Input {
    /// The site folder.
    pub site_dir: PathBuf,
    /// The settings file; a missing file means the defaults.
    pub config: PathBuf,
    /// Where encoded bodies are cached (by content hash) and kept for the table to include.
    pub cache_dir: PathBuf,
    /// `SOURCE_DATE_EPOCH`: every file's Last-Modified, for reproducible builds (else mtimes).
    pub epoch: Option<u64>,
}

/// One file as it will be served.
#[derive(Debug, Clone)]
pub struct PlannedFile {
    pub site_path: String,
    pub headers: FileHeaders,
    /// The headers before `_headers`, for serving the file at another URL.
    pub base: FileHeaders,
    /// Seconds since the epoch.
    pub modified: u64,
    /// Identity first.
    pub variants: Vec<Encoded>,
    /// Per variant: which front doors take a full response with it.
    pub fits: Vec<Fits>,
    /// The JSON size of the file's largest header block (it sets how much one 206 carries).
    pub header_block: u64,
    /// In the package, in S3, or both.
    pub placement: Placement,
}

/// Where a planned file's variants are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// In the package only.
    Package,
    /// In the package for the doors that take it whole (Lambda's 6 MB), and in S3 for an
    /// ALB's requests (`limits.lambda_sized = "embed"`).
    PackageAndS3,
    /// In S3 only (`limits.too_large = "s3"`, or over `limits.package_budget`).
    S3,
}

/// Where a planned variant's bytes go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored<'a> {
    /// Into the package, from this JSON literal blob.
    Embedded(&'a Path),
    /// Nowhere: made at run time by inflating the gzip variant at this index.
    Inflate(u8),
    /// Into S3 only (under [`PlannedFile::object_key`]).
    Offloaded,
}

impl PlannedFile {
    /// Whether the file is only in S3, not in the package.
    pub fn offloaded(&self) -> bool {
        self.placement == Placement::S3
    }

    /// Whether the file's variants are uploaded to S3.
    pub fn in_s3(&self) -> bool {
        self.placement != Placement::Package
    }

    /// Variant `k`'s key in S3, when it is there.
    pub fn object_key(&self, k: usize) -> Option<String> {
        self.in_s3()
            .then(|| offload_key(&self.variants[k].sha256, &self.site_path))
    }

    /// The gzip variant the identity is inflated from when a client needs it. Any file with a
    /// gzip variant leaves its identity out: browsers take br or gzip, and storing the
    /// uncompressed form too would make the package larger than the site.
    pub fn inflated_from(&self) -> Option<u8> {
        if self.offloaded() {
            return None;
        }
        self.variants
            .iter()
            .position(|v| v.encoding == crate::site::Encoding::Gzip)
            .map(|k| k as u8)
    }

    /// Where variant `k` is kept.
    pub fn stored(&self, k: usize) -> Stored<'_> {
        let v = &self.variants[k];
        if self.offloaded() {
            return Stored::Offloaded;
        }
        match (k, self.inflated_from()) {
            (0, Some(from)) => Stored::Inflate(from),
            _ => Stored::Embedded(&v.source.literal),
        }
    }

    /// The bytes this file adds to the package (before identical blobs are shared).
    fn embedded_bytes(&self) -> u64 {
        (0..self.variants.len())
            .filter(|&k| matches!(self.stored(k), Stored::Embedded(_)))
            .map(|k| self.variants[k].json_len)
            .sum()
    }
}

/// An offloaded variant's S3 key: content-addressed, so a key always means the same bytes (a
/// deploy uploads only what is new, and a version rolled back to still finds its objects), and
/// ending in the file's name, made URL-safe.
pub fn offload_key(sha256: &str, site_path: &str) -> String {
    let name: String = site_path
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{}/{}", &sha256[..32.min(sha256.len())], name)
}

/// The planned site.
#[derive(Debug, Clone)]
pub struct Plan {
    pub config: Config,
    /// The files served, in table order (`Route::File(i)` is `files[i]`).
    pub files: Vec<PlannedFile>,
    /// Decoded URL path → route.
    pub routes: BTreeMap<String, Route>,
    pub redirects: Vec<RedirectRule>,
    /// `_headers`, in file order.
    pub header_rules: Vec<HeaderRule>,
    /// The single-page-app fallback, decided from the setting and the files.
    pub spa_fallback: bool,
    /// What a build should say but not fail on.
    pub warnings: Vec<String>,
    /// How long the planner's stages took, for the build's report.
    pub timings: Timings,
}

/// How long the planner's stages took.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Timings {
    /// Listing the folder and reading the rules files.
    pub walk: std::time::Duration,
    /// Encoding every file (identity, gzip, br; cached by content), the limits and the routes.
    pub encode: std::time::Duration,
}

impl Plan {
    /// Folders with a `404.html`, sorted, with the file's index.
    pub fn not_found_pages(&self) -> Vec<(String, u32)> {
        let mut pages: Vec<(String, u32)> = self
            .files
            .iter()
            .enumerate()
            .filter_map(|(k, f)| {
                f.site_path
                    .strip_suffix("404.html")
                    .filter(|d| d.ends_with('/'))
                    .map(|d| (d.to_string(), k as u32))
            })
            .collect();
        pages.sort();
        pages
    }

    /// The top-level `index.html`.
    pub fn index(&self) -> Option<u32> {
        self.files
            .iter()
            .position(|f| f.site_path == "/index.html")
            .map(|k| k as u32)
    }

    /// Whether a file may be served at a URL other than its own (a 200 or 404 rewrite, the
    /// single-page-app fallback), so its base headers and the rules are kept for run time.
    pub fn serves_at_other_urls(&self) -> bool {
        self.spa_fallback
            || self
                .redirects
                .iter()
                .any(|r| matches!(r.action, Action::Rewrite | Action::RewriteNotFound))
    }

    /// The files' own bytes in all.
    pub fn site_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.variants[0].len).sum()
    }

    /// The bytes the package embeds: every stored blob once (identical files share one).
    pub fn embedded_bytes(&self) -> u64 {
        let mut seen = std::collections::HashSet::new();
        self.files
            .iter()
            .flat_map(|f| (0..f.variants.len()).map(move |k| (f, k)))
            .filter_map(|(f, k)| match f.stored(k) {
                Stored::Embedded(path) => seen.insert(path).then_some(f.variants[k].json_len),
                _ => None,
            })
            .sum()
    }

    /// Every variant uploaded to S3 (of the files only there, and of those also embedded for
    /// the doors that take them whole): its file, the variant, and its S3 key.
    pub fn offloaded(&self) -> Vec<(&PlannedFile, &Encoded, String)> {
        self.files
            .iter()
            .filter(|f| f.in_s3())
            .flat_map(|f| {
                f.variants
                    .iter()
                    .map(move |v| (f, v, offload_key(&v.sha256, &f.site_path)))
            })
            .collect()
    }
}

/// Plans the site in `input.site_dir` with the settings file `input.config`.
pub fn plan(input: &Input) -> Result<Plan, PlanError> {
    plan_with(input, Config::load(&input.config)?)
}

/// Plans the site in `input.site_dir` with settings already read (`input.config` is not read).
pub fn plan_with(input: &Input, config: Config) -> Result<Plan, PlanError> {
    plan_reporting(input, config, &|_| {})
}

/// Plans like [`plan_with`], and while it encodes calls `report` every few seconds and once
/// at the end; an encode shorter than [`progress::INTERVAL`] does not call it at all.
pub fn plan_reporting(
    input: &Input,
    config: Config,
    report: progress::Report,
) -> Result<Plan, PlanError> {
    plan_remembering(input, config, report, &mut Memo::default())
}

/// Plans like [`plan_reporting`], taking each file whose stamp (length, modification time,
/// inode) is unchanged since an earlier plan with `memo` from it instead of reading and
/// encoding it again, and remembering the rest for the next plan ([`memo`]).
pub fn plan_remembering(
    input: &Input,
    config: Config,
    report: progress::Report,
    memo: &mut Memo,
) -> Result<Plan, PlanError> {
    if !input.site_dir.is_dir() {
        return Err(PlanError::new(format!(
            "SITE_DIR {} is not a folder (set SITE_DIR to your site's build output)",
            input.site_dir.display()
        )));
    }
    let started = std::time::Instant::now();
    let root = input.site_dir.canonicalize().map_err(io(&input.site_dir))?;
    let (files, mut warnings) = walk::walk(&root)?;
    if files.is_empty() {
        return Err(PlanError::new(format!(
            "{} has no files to serve",
            input.site_dir.display()
        )));
    }
    check_urls(&files, &config)?;
    let headers_path = root.join("_headers");
    let header_rules = read_rules(&headers_path, rules::parse_headers)?;
    let redirects_path = root.join("_redirects");
    let redirects = read_rules(&redirects_path, rules::parse_redirects)?;

    let walked = started.elapsed();
    fs::create_dir_all(&input.cache_dir).map_err(io(&input.cache_dir))?;
    let policy = compress::Policy::DEFAULT;
    let stamps = files
        .par_iter()
        .map(|f| Stamp::of(&f.abs).map_err(io(&f.abs)))
        .collect::<Result<Vec<Stamp>, _>>()?;
    let sizes: Vec<u64> = stamps.iter().map(|s| s.len).collect();
    let small_bytes = policy.small_bytes(
        files
            .iter()
            .zip(&sizes)
            .map(|(f, &len)| (f.site_path.as_str(), len)),
    );
    let options = encode::Options {
        gzip: config.compression.gzip,
        brotli: config.compression.brotli,
        max_ratio: config.compression.max_ratio,
        compression: policy.for_site(small_bytes),
    };
    let tracker =
        progress::Tracker::new(report, progress::INTERVAL, files.len(), sizes.iter().sum());
    // Everything else a planned file depends on: a change to any of it plans every file again.
    let context = format!("{config:?} {header_rules:?} {:?}", input.epoch);
    memo.begin(&options, &input.cache_dir, &root, context);
    let known: &Memo = memo;
    let planned = files
        .par_iter()
        .zip(&stamps)
        .map(|(f, stamp)| {
            let planned = plan_file(
                f,
                (stamp, known),
                &config,
                &header_rules,
                &headers_path,
                input.epoch,
                &options,
                &input.cache_dir,
            );
            if let Ok((p, _)) = &planned {
                tracker.file_done(p.variants[0].len);
            }
            planned
        })
        .collect::<Result<Vec<_>, _>>()?;
    tracker.finish();
    let count = planned.len();
    let (planned, fresh): (Vec<PlannedFile>, Vec<_>) = planned
        .into_iter()
        .zip(&files)
        .map(|((p, fresh), f)| (p, fresh.map(|r| (f.site_path.clone(), r))))
        .unzip();
    memo.end(fresh.into_iter().flatten().collect(), count);
    warnings.extend(cookie_warnings(&planned));

    let (kept, external) = apply_size_limit(planned, &config, &mut warnings)?;
    let kept_paths: Vec<String> = kept.iter().map(|f| f.site_path.clone()).collect();
    // The routes depend on the settings and the paths only: the same as last time, they are
    // the last plan's (when handed back to the memo).
    let (mut routes, route_warnings) = match memo.take_routes(&kept_paths) {
        Some(known) if external.is_empty() => known,
        _ => routes::build(&kept_paths, &config),
    };
    if external.is_empty() {
        memo.note_routes(&kept_paths, &route_warnings);
    }
    warnings.extend(route_warnings);
    for (site_path, location) in external {
        for url in routes::served_at(&site_path, &config)
            .into_iter()
            .chain([site_path.clone()])
        {
            routes
                .entry(url)
                .or_insert_with(|| Route::Redirect(location.clone().into()));
        }
    }
    check_rewrite_targets(&redirects, &routes, &redirects_path)?;

    let has = |p: &str| kept_paths.iter().any(|k| k == p);
    let spa_fallback = match config.spa {
        Spa::On if !has("/index.html") => {
            return Err(PlanError::new(
                "spa = \"on\" needs an index.html at the top of the site",
            ))
        }
        Spa::On => true,
        Spa::Off => false,
        Spa::Auto => has("/index.html") && !has("/404.html"),
    };
    let mut plan = Plan {
        config,
        files: kept,
        routes,
        redirects,
        header_rules,
        spa_fallback,
        warnings,
        timings: Timings {
            walk: walked,
            encode: started.elapsed().saturating_sub(walked),
        },
    };
    plan.warnings
        .extend(unmatched_header_rules(&plan, &headers_path));
    Ok(plan)
}

/// Every file must be reachable at a URL of its own: not longer than a request path may be
/// (percent-encoded), and not claimed by another file. Lists every offender (up to 20).
fn check_urls(files: &[SiteFile], config: &Config) -> Result<(), PlanError> {
    let mut problems: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let len = encode_path(&f.site_path).len();
            (len > path::MAX_PATH).then(|| {
                format!(
                    "{}: its URL is {len} bytes percent-encoded, over the {} bytes a request \
                     path may have: shorten its name or its folders' names",
                    f.abs.display(),
                    path::MAX_PATH
                )
            })
        })
        .collect();
    let paths: Vec<String> = files.iter().map(|f| f.site_path.clone()).collect();
    problems.extend(routes::conflicts(&paths, config));
    if problems.is_empty() {
        return Ok(());
    }
    let shown = problems.len().min(20);
    let more = problems.len() - shown;
    let mut message = problems[..shown].join("\n");
    if more > 0 {
        message.push_str(&format!("\n... and {more} more"));
    }
    Err(PlanError::new(message))
}

/// A `_headers` pattern no URL of the site matches is likely a typo: say so, with its line.
fn unmatched_header_rules(plan: &Plan, headers_path: &Path) -> Vec<String> {
    let elsewhere = plan.serves_at_other_urls();
    plan.header_rules
        .iter()
        .filter(|rule| {
            !plan
                .routes
                .keys()
                .chain(plan.files.iter().map(|f| &f.site_path))
                .any(|url| rules::match_pattern(&rule.pattern, url).is_some())
        })
        .map(|rule| {
            format!(
                "{}:{}: {} matches no file of the site{}",
                headers_path.display(),
                rule.line,
                rule.pattern,
                if elsewhere {
                    " (its headers go out only where a rewrite or the SPA fallback serves a file at such a URL)"
                } else {
                    ", so its headers are never sent"
                }
            )
        })
        .collect()
}

/// Parses an optional rules file (`_headers`, `_redirects`); errors read `path:line: reason`.
fn read_rules<T>(
    path: &Path,
    parse: fn(&str) -> Result<Vec<T>, RuleError>,
) -> Result<Vec<T>, PlanError> {
    match fs::read_to_string(path) {
        Ok(text) => parse(&text).map_err(|e| PlanError::at_line(path, e.line, e.message)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(PlanError::at(path, e)),
    }
}

/// Plans one file; the second value is what to remember of it, when it was read (not taken
/// from the memo).
#[allow(clippy::too_many_arguments)]
fn plan_file(
    f: &SiteFile,
    (stamp, memo): (&Stamp, &Memo),
    config: &Config,
    rules: &[HeaderRule],
    headers_path: &Path,
    epoch: Option<u64>,
    options: &encode::Options,
    cache: &Path,
) -> Result<(PlannedFile, Option<Remembered>), PlanError> {
    let known = memo.recall(&f.site_path, stamp);
    if let Some(planned) = known.and_then(Remembered::take_planned) {
        return Ok((planned, None));
    }
    let mut bytes = None;
    let content_type = match known {
        Some(k) => k.content_type.clone(),
        None => {
            let read = fs::read(&f.abs).map_err(io(&f.abs))?;
            let sniffed = media::content_type_for(&f.site_path, &read);
            bytes = Some(read);
            sniffed
        }
    };
    let modified = epoch.unwrap_or_else(|| stamp.seconds());
    // What to remember of the type, for a file read now.
    let sniffed = known.is_none().then(|| content_type.clone());
    let defaults = FileHeaders {
        cache_control: media::cache_control(&f.site_path, &content_type, config),
        content_type,
        headers: config.security_headers(),
        hsts: !config.security.hsts.is_empty(),
    };
    let mut urls = routes::served_at(&f.site_path, config);
    urls.push(f.site_path.clone());
    let base = defaults.clone();
    let headers = headers::resolve(defaults, &urls, rules, headers_path)?;
    headers::check_block(&f.site_path, &headers, config, headers_path)?;

    let essence = headers
        .content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_string();
    let kind = (
        media::is_text(&essence),
        media::is_compressible(&headers.content_type),
    );
    let (variants, fresh) = match known.and_then(|k| k.variants_for(kind)) {
        Some(variants) => (variants.to_vec(), None),
        None => {
            let bytes = match bytes {
                Some(bytes) => bytes,
                None => fs::read(&f.abs).map_err(io(&f.abs))?,
            };
            let variants =
                encode::encode_file(&bytes, kind.0, kind.1, options, cache).map_err(io(&f.abs))?;
            let sniffed = sniffed
                .or_else(|| known.map(|k| k.content_type.clone()))
                .unwrap_or_default();
            let fresh = Remembered::new(*stamp, sniffed, kind, variants.clone());
            (variants, Some(fresh))
        }
    };
    let block = headers::max_block_len(&headers, config);
    let fits = variants
        .iter()
        .map(|v| Fits::of(block, v.json_len))
        .collect();
    let planned = PlannedFile {
        site_path: f.site_path.clone(),
        headers,
        base,
        modified,
        variants,
        fits,
        header_block: block,
        placement: Placement::Package,
    };
    Ok((planned, fresh))
}

fn cookie_warnings(files: &[PlannedFile]) -> Vec<String> {
    files
        .iter()
        .filter_map(|f| {
            let cookies = f
                .headers
                .headers
                .iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case("set-cookie"))
                .count();
            (cookies > 1).then(|| format!(
                "{} gets {cookies} Set-Cookie headers from _headers; without multi-value headers on the target group ALB can send only one (the first)",
                f.site_path
            ))
        })
        .collect()
}

/// A file left out of the table whose URLs redirect elsewhere: its site path and new location.
type Moved = (String, String);

/// Applies `limits.too_large` to files no encoding can serve within one ALB response: fail the
/// plan, leave them out, leave them out and redirect their URLs elsewhere, or keep them in S3
/// (and, with `limits.lambda_sized = "embed"`, in the package too when Lambda's 6 MB takes
/// them, for the other front doors). Then holds the package to `limits.package_budget` (with
/// "s3", by keeping the largest files only in S3). Returns the files kept and the ones moved.
fn apply_size_limit(
    files: Vec<PlannedFile>,
    config: &Config,
    warnings: &mut Vec<String>,
) -> Result<(Vec<PlannedFile>, Vec<Moved>), PlanError> {
    let fits = |f: &PlannedFile| f.fits.iter().any(|fits| fits.within(ResponseLimit::Alb));
    let list = |files: &mut dyn Iterator<Item = &PlannedFile>| {
        files
            .map(|f| {
                let sizes = f
                    .variants
                    .iter()
                    .map(|v| format!("{} {} bytes", v.encoding.token(), v.len))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("  {} ({sizes})", f.site_path)
            })
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mut kept = files;
    let mut external = Vec::new();
    if !kept.iter().all(fits) {
        let listed = list(&mut kept.iter().filter(|f| !fits(f)));
        match config.limits.too_large {
            TooLarge::Fail => {
                return Err(PlanError::new(format!(
                    "these files cannot be served within ALB's 1 MB response limit in any encoding:\n{listed}\n\
                     Make them smaller, or set limits.too_large = \"s3\", \"skip\" or \"redirect\" in the settings file."
                )))
            }
            TooLarge::Skip => {
                warnings.push(format!("left out, too large for one ALB response:\n{listed}"));
                kept.retain(fits);
            }
            TooLarge::Redirect => {
                let prefix = config.limits.external_prefix.trim_end_matches('/');
                warnings.push(format!(
                    "redirected to {}, too large for one ALB response:\n{listed}",
                    config.limits.external_prefix
                ));
                let (fitting, moved): (Vec<_>, Vec<_>) = kept.into_iter().partition(fits);
                kept = fitting;
                external = moved
                    .into_iter()
                    .map(|f| {
                        let location = format!("{prefix}{}", encode_path(&f.site_path));
                        (f.site_path, location)
                    })
                    .collect();
            }
            TooLarge::S3 => {
                for f in kept.iter_mut().filter(|f| !fits(f)) {
                    let lambda_takes = f.fits.iter().any(|x| x.within(ResponseLimit::Lambda));
                    f.placement = match config.limits.lambda_sized {
                        LambdaSized::Embed if lambda_takes => Placement::PackageAndS3,
                        _ => Placement::S3,
                    };
                    if f.offloaded() {
                        mark_offloaded(f);
                    }
                }
            }
        }
    }
    let budget = config.limits.package_budget;
    let mut embedded: u64 = kept.iter().map(PlannedFile::embedded_bytes).sum();
    if embedded > budget {
        if config.limits.too_large != TooLarge::S3 {
            let mut largest: Vec<&PlannedFile> = kept.iter().collect();
            largest.sort_by(|a, b| {
                (b.embedded_bytes(), &a.site_path).cmp(&(a.embedded_bytes(), &b.site_path))
            });
            let listed = list(&mut largest.into_iter().take(10));
            return Err(PlanError::new(format!(
                "the site would embed {embedded} bytes, over limits.package_budget = {budget}: \
                 set limits.too_large = \"s3\" to keep the largest files in S3, or raise the budget \
                 (Lambda's limit is 262,144,000 bytes unzipped, the server's code included). \
                 The largest files:\n{listed}"
            )));
        }
        // Largest first; ties by path, so the choice is the same on every machine.
        let mut order: Vec<usize> = (0..kept.len()).filter(|&k| !kept[k].offloaded()).collect();
        order.sort_by(|&a, &b| {
            (kept[b].embedded_bytes(), &kept[a].site_path)
                .cmp(&(kept[a].embedded_bytes(), &kept[b].site_path))
        });
        for k in order {
            if embedded <= budget {
                break;
            }
            embedded -= kept[k].embedded_bytes();
            mark_offloaded(&mut kept[k]);
        }
    }
    if kept.iter().any(|f| f.offloaded()) {
        warnings.push(format!(
            "kept in S3 (make deploy uploads them; make local serves them from disk), too large for one ALB response or over limits.package_budget:\n{}",
            list(&mut kept.iter().filter(|f| f.offloaded()))
        ));
    }
    if kept.iter().any(|f| f.placement == Placement::PackageAndS3) {
        warnings.push(format!(
            "kept in S3 for an ALB's requests and in the package for the other front doors (limits.lambda_sized = \"embed\"), over ALB's 1 MB but under Lambda's 6 MB:\n{}",
            list(&mut kept.iter().filter(|f| f.placement == Placement::PackageAndS3))
        ));
    }
    Ok((kept, external))
}

/// Marks the file for S3 only: no variant is served from the package.
fn mark_offloaded(file: &mut PlannedFile) {
    file.placement = Placement::S3;
    file.fits.iter_mut().for_each(|f| *f = Fits::Nowhere);
}

/// A rewrite with a fixed target must name something the site serves.
fn check_rewrite_targets(
    redirects: &[RedirectRule],
    routes: &BTreeMap<String, Route>,
    redirects_path: &Path,
) -> Result<(), PlanError> {
    for r in redirects {
        if matches!(r.action, Action::Rewrite | Action::RewriteNotFound) && !r.to.contains(':') {
            // Routes are keyed by decoded paths; decode the target as a request would be.
            let raw = r.to.split('?').next().unwrap_or("");
            let target = path::decode(raw)
                .map(|p| p.into_owned())
                .unwrap_or_default();
            if !routes.contains_key(&target) {
                return Err(PlanError::at_line(
                    redirects_path,
                    r.line,
                    format!(
                        "the {} rewrite target {} is not a page of the site",
                        r.action.status().code(),
                        r.to
                    ),
                ));
            }
        }
    }
    Ok(())
}
