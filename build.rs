//! Embeds the site: plans SITE_DIR (default `site/`) with SITE_CONFIG (default `site.toml`)
//! through `site_core::plan` and writes the plan as a static table to OUT_DIR, which
//! `src/site.rs` includes. Everything a response needs is decided here, not at start-up.
//!
//! Why a generated table and not `include_dir`: include_dir looks files up by a linear scan,
//! does not notice new files, and has nowhere to keep the precompressed, base64-ready variants
//! and per-file headers that make a request a table lookup.

use std::path::PathBuf;

use site_core::plan::{self, codegen, Input, PlanError};

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
    let code = codegen::generate(&plan);
    let table = out_dir.join("site_table.rs");
    // Only rewrite when it changed, so an unchanged site does not recompile the crate.
    if std::fs::read_to_string(&table).ok().as_deref() != Some(code.as_str()) {
        std::fs::write(&table, code).map_err(plan::error::io(&table))?;
    }
    // The files kept in S3 go beside the binaries (`target/release/site-offload`), where
    // `make build` copies them into dist/ for the deploy and `make local` serves them from.
    let offload_dir = out_dir
        .ancestors()
        .nth(3)
        .map(|profile| profile.join("site-offload"))
        .unwrap_or_else(|| out_dir.join("site-offload"));
    plan::offload::write(&plan, &offload_dir)?;
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
