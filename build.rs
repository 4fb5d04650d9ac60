//! Embeds the site: plans SITE_DIR (default `site/`) with SITE_CONFIG (default `site.toml`)
//! through `site_core::plan`, packs the plan into the site format (an index and body segments,
//! `site_core::data`), checks that the bytes read back, and writes them to OUT_DIR with the few
//! lines of Rust that `src/site.rs` includes. Everything a response needs is decided here, not
//! at start-up.
//!
//! Why not `include_dir`: it looks files up by a linear scan, does not notice new files, and
//! has nowhere to keep the precompressed, base64-ready variants and per-file headers that make
//! a request a table lookup. Why bytes and not Rust literals: rustc's cost follows the number
//! of literals (about 20 GB at 10,000 files), an `include_bytes!` costs what its bytes do.

use std::path::PathBuf;

use site_core::plan::{self, embed, Input, PlanError};

fn main() {
    if let Err(e) = run() {
        eprintln!("\nerror: the site could not be embedded:\n{e}\n");
        std::process::exit(1);
    }
}

fn run() -> Result<(), PlanError> {
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
    let input = Input {
        site_dir: manifest.join(std::env::var_os("SITE_DIR").unwrap_or("site".into())),
        config: manifest.join(std::env::var_os("SITE_CONFIG").unwrap_or("site.toml".into())),
        cache_dir: out_dir.join("blobs"),
        epoch: source_date_epoch()?,
    };
    println!("cargo::rerun-if-changed={}", input.config.display());
    // A folder path makes Cargo rescan the whole tree, so new, changed and deleted files rebuild.
    println!("cargo::rerun-if-changed={}", input.site_dir.display());

    // Progress on stderr every few seconds while a big site encodes (cargo shows it with -vv,
    // which `make build` filters down to these lines).
    let config = plan::Config::load(&input.config)?;
    let plan = plan::plan_reporting(&input, config, &|p| eprintln!("{p}"))?;
    // Each stage's time on stderr (kept by `make build`, which adds compile and link).
    let stage = |name: &str, took: std::time::Duration, what: String| {
        eprintln!("stage: {name} {:.2} s ({what})", took.as_secs_f64())
    };
    stage(
        "walk",
        plan.timings.walk,
        format!("{} files", plan.files.len()),
    );
    stage(
        "encode",
        plan.timings.encode,
        format!("{:.1} MB", plan.site_bytes() as f64 / 1e6),
    );
    let started = std::time::Instant::now();
    // The bytes are opened and checked whole, as the server would read them, before they are
    // embedded: a malformed index fails the build, never a request.
    let site = plan::memory::into_site(&plan)?;
    let bodies = site.stored_bodies().0;
    let data = site.into_data().expect("a site made from data owns it");
    // Each file is rewritten only when its bytes changed, so an unchanged site does not
    // recompile the crate.
    let packed = started.elapsed();
    let written = embed::write(&plan, &data, bodies, &out_dir)?;
    stage(
        "pack",
        packed,
        format!(
            "index {:.1} MB, {} segments of {:.1} MB",
            written.index_bytes as f64 / 1e6,
            written.segments,
            written.segment_bytes as f64 / 1e6
        ),
    );
    // The files kept in S3 and the build report go beside the binaries (`target/release/`),
    // where `make build` copies them into dist/ (the offload for the deploy, which `make local`
    // also serves from): outside OUT_DIR, so never in the package.
    let profile_dir = out_dir.ancestors().nth(3).unwrap_or(&out_dir).to_path_buf();
    let report = profile_dir.join(plan::report::FILE_NAME);
    let site_name = std::env::var("SITE_DIR").unwrap_or_else(|_| "site".into());
    let html = plan::report::render(&plan, &site_name);
    std::fs::write(&report, &html).map_err(|e| PlanError::at(&report, e))?;
    stage(
        "write",
        started.elapsed().saturating_sub(packed),
        format!(
            "{} files changed; {} {} KB",
            written.changed,
            plan::report::FILE_NAME,
            html.len().div_ceil(1000)
        ),
    );
    plan::offload::write(&plan, &profile_dir.join("site-offload"))?;
    for line in plan.warnings.iter().flat_map(|w| w.lines()) {
        println!("cargo::warning={line}");
    }
    Ok(())
}

fn env(name: &str) -> Result<String, PlanError> {
    std::env::var(name)
        .map_err(|_| PlanError::new(format!("{name} is not set (build.rs runs under cargo)")))
}

fn source_date_epoch() -> Result<Option<u64>, PlanError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) if !v.trim().is_empty() => v.trim().parse::<u64>().map(Some).map_err(|_| {
            PlanError::new(format!(
                "SOURCE_DATE_EPOCH={v:?} is not a number of seconds since 1970"
            ))
        }),
        _ => Ok(None),
    }
}
