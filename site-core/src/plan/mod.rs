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

mod checks;
mod file;
mod size_limit;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

pub use config::Config;
pub use error::PlanError;
pub use memo::Memo;

use crate::limits::Fits;
use crate::rules::{self, HeaderRule, RedirectRule, RuleError};
use crate::site::{Action, Route};
use checks::{check_rewrite_targets, check_urls, cookie_warnings, unmatched_header_rules};
use config::Spa;
use encode::Encoded;
use error::io;
use file::plan_file;
use headers::FileHeaders;
use memo::Stamp;
use size_limit::apply_size_limit;

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
