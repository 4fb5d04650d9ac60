//! The package a site makes, without building the binary: the site's bytes, the bytes the
//! package embeds (raw blobs, identical ones once, identities of gzip-able files left out), what
//! the earlier format embedded (every variant as a JSON string literal: text escaped, gzip, br
//! and binary files as base64), and what goes to S3.
//!
//! cargo run --release --example package_size -- SITE_DIR [SITE_CONFIG]

use std::path::PathBuf;

use site_core::plan::{self, Config, Input};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(site_dir) = args.first() else {
        eprintln!("usage: package_size SITE_DIR [SITE_CONFIG]");
        std::process::exit(2);
    };
    let config = match args.get(1) {
        Some(path) => Config::load(std::path::Path::new(path)),
        None => Ok(Config::default()),
    };
    let config = config.unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let input = Input {
        site_dir: PathBuf::from(site_dir),
        config: PathBuf::new(),
        cache_dir: std::env::temp_dir().join("package-size-cache"),
        epoch: Some(0),
    };
    let plan = plan::plan_with(&input, config).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(1)
    });
    let site = plan.site_bytes();
    let embedded = plan.embedded_bytes();
    let literal: u64 = plan
        .files
        .iter()
        .filter(|f| !f.offloaded())
        .flat_map(|f| f.variants.iter())
        .map(|v| v.json_len)
        .sum();
    let offloaded: u64 = plan.offloaded().iter().map(|(_, v, _)| v.len).sum();
    let ratio = |n: u64| n as f64 / site as f64;
    println!("files: {}", plan.files.len());
    println!("site bytes: {site}");
    println!(
        "embedded bytes: {embedded} ({:.3}x the site)",
        ratio(embedded)
    );
    println!(
        "as JSON literals (the earlier format): {literal} ({:.3}x the site)",
        ratio(literal)
    );
    println!(
        "kept in S3: {} objects, {offloaded} bytes",
        plan.offloaded().len()
    );
}
