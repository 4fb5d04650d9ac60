//! The files kept in S3 (`limits.too_large = "s3"`), written out for the deploy: a manifest and
//! each object's bytes, ready to upload as they are.
//!
//! `<dir>/manifest.json` lists every object (key, site path, content type and encoding, cache
//! policy, size, SHA-256); `<dir>/objects/<key>` holds its bytes. The binary's deploy facts
//! carry the objects' count and bytes, so a deploy can refuse a folder from another build.

use std::fs;
use std::path::Path;

use serde_json::json;

use super::error::{io, PlanError};
use super::Plan;
use crate::site::Encoding;

/// Replaces `dir` with the plan's offloaded objects and their manifest (an empty list when
/// there are none, so a stale folder never outlives the build that made it).
pub fn write(plan: &Plan, dir: &Path) -> Result<(), PlanError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(PlanError::at(dir, e)),
    }
    let objects_dir = dir.join("objects");
    fs::create_dir_all(&objects_dir).map_err(io(&objects_dir))?;
    let mut objects = Vec::new();
    for (file, variant, key) in plan.offloaded() {
        let target = objects_dir.join(&key);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(io(parent))?;
        }
        // A hard link costs nothing; across file systems, a copy.
        if fs::hard_link(&variant.source.path, &target).is_err() {
            fs::copy(&variant.source.path, &target).map_err(io(&target))?;
        }
        objects.push(json!({
            "key": key,
            "path": file.site_path,
            "content_type": file.headers.content_type,
            "content_encoding": match variant.encoding {
                Encoding::Identity => None,
                other => Some(other.token()),
            },
            "cache_control": file.headers.cache_control,
            "bytes": variant.len,
            "sha256": variant.sha256,
        }));
    }
    let manifest = json!({
        "format": 1,
        "private": plan.config.auth.is_some(),
        "objects": objects,
    });
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| PlanError::at(&path, e))?;
    fs::write(&path, text + "\n").map_err(io(&path))
}
