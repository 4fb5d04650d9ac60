//! A site folder and its settings file planned in memory with the build's own planner
//! (`site_core::plan`), errors as `file:line: reason`.

use std::path::{Path, PathBuf};

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use rayon::prelude::*;

use site_core::plan::{self, memory, Config, Input, Memo, Plan, Stored};
use site_core::site::Site;

/// Where the site comes from.
#[derive(Debug, Clone)]
pub struct Source {
    /// The site folder (`SITE_DIR`).
    pub site_dir: PathBuf,
    /// The settings file (`SITE_CONFIG`, else `site.toml`); a missing file means the defaults.
    pub config: PathBuf,
    /// The encode cache (by content hash): kept between runs, so only changed files are encoded.
    pub cache_dir: PathBuf,
    /// `SOURCE_DATE_EPOCH`: every file's Last-Modified, as in a build.
    pub epoch: Option<u64>,
}

/// A planned site: the plan (for `check` and `explain`) and the site the handler serves.
pub struct Loaded {
    pub plan: Plan,
    pub site: Site,
}

/// Plans the site as build.rs would. The error is one line per problem, `file:line: reason`
/// wherever the planner or the settings parser knows the line.
pub fn load(source: &Source) -> Result<Loaded, String> {
    load_again(source, &mut Memo::default(), None)
}

/// Plans the site again: files unchanged since the plans `memo` remembers are not read again,
/// and bodies the `previous` site holds are taken from it rather than from the encode cache.
pub fn load_again(
    source: &Source,
    memo: &mut Memo,
    previous: Option<&Site>,
) -> Result<Loaded, String> {
    let config = read_config(&source.config)?;
    let input = Input {
        site_dir: source.site_dir.clone(),
        config: source.config.clone(),
        cache_dir: source.cache_dir.clone(),
        epoch: source.epoch,
    };
    let plan = plan::plan_remembering(&input, config.clone(), &|_| {}, memo)
        .map_err(|e| shorten(&e.to_string()))?;
    // A body is looked for in the previous site's file at the same index (the same file, as
    // long as none was added or removed), else among all its bodies. Without a previous site
    // (the start), every body is read beforehand, in parallel.
    let all = std::cell::OnceCell::new();
    let read = match previous {
        Some(_) => Mutex::default(),
        None => read_bodies(&plan),
    };
    let site = memory::into_site_reusing(&plan, &|i, v| {
        let Some(previous) = previous else {
            let mut read = read.lock().unwrap_or_else(|e| e.into_inner());
            return read.remove(v.source.literal.as_path());
        };
        let key = (v.etag.as_str(), v.source.base64);
        let here = previous.get_file(i as u32).and_then(|f| {
            f.variants
                .iter()
                .find(|p| (p.etag, p.base64) == key)
                .and_then(|p| previous.body_json(&p))
        });
        here.or_else(|| all.get_or_init(|| bodies(previous)).get(&key).copied())
            .map(|json| json.as_bytes().to_vec())
    });
    match site {
        Ok(site) => Ok(Loaded { plan, site }),
        // The encode cache lost files the memo points at (it was emptied): plan from scratch.
        Err(_) if memo.last().read < memo.last().files => {
            memo.clear();
            let plan = plan::plan_remembering(&input, config, &|_| {}, memo)
                .map_err(|e| shorten(&e.to_string()))?;
            let site = memory::into_site(&plan).map_err(|e| shorten(&e.to_string()))?;
            Ok(Loaded { plan, site })
        }
        Err(e) => Err(shorten(&e.to_string())),
    }
}

/// The bodies a plan stores, read from the encode cache on every core (a start of 100,000
/// files reads some 200,000), by path. One that cannot be read is left out: the conversion then
/// reads it itself and says why it cannot. (Each is checked as JSON once, when the site is made
/// from the packed bytes.)
fn read_bodies(plan: &Plan) -> Mutex<HashMap<&Path, Vec<u8>>> {
    let paths: HashSet<&Path> = plan
        .files
        .iter()
        .flat_map(|f| (0..f.variants.len()).map(move |k| f.stored(k)))
        .filter_map(|stored| match stored {
            Stored::Embedded(path) => Some(path),
            _ => None,
        })
        .collect();
    let read = paths
        .into_par_iter()
        .filter_map(|path| Some((path, std::fs::read(path).ok()?)))
        .collect();
    Mutex::new(read)
}

/// The bodies a site holds, by what names their bytes: strong ETag, and whether base64.
fn bodies(site: &Site) -> HashMap<(&str, bool), &str> {
    site.files()
        .flat_map(|f| f.variants.iter())
        .filter_map(|v| Some(((v.etag, v.base64), site.body_json(&v)?)))
        .collect()
}

/// Reads and validates the settings file; a missing file means the defaults (as in a build).
pub fn read_config(path: &Path) -> Result<Config, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
        Err(e) => return Err(format!("{}: {e}", shown(path))),
    };
    Config::parse(&text).map_err(|e| config_error(&shown(path), &text, &e))
}

/// A settings error as `file:line: reason`: the line from the TOML parser's message, or, for a
/// value the validation refused, the line that sets the key the message names.
pub fn config_error(file: &str, text: &str, message: &str) -> String {
    // toml: "TOML parse error at line 5, column 7\n  |\n5 | x = 1\n  |     ^\nunknown field `x`..."
    if let Some(rest) = message.strip_prefix("TOML parse error at line ") {
        let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let reason = message
            .lines()
            .skip(1)
            .filter(|l| !l.trim_start().starts_with('|') && !l.contains(" | "))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        return format!("{file}:{line}: {reason}");
    }
    match key_line(text, message) {
        Some(line) => format!("{file}:{line}: {message}"),
        None => format!("{file}: {message}"),
    }
}

/// The line that sets the key a validation message starts with (`cache.html ...`,
/// `redirect_status = 418: ...`), looking inside its `[table]` for a dotted key.
fn key_line(text: &str, message: &str) -> Option<usize> {
    let key: String = message
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        .collect();
    if key.is_empty() {
        return None;
    }
    let (table, name) = match key.rsplit_once('.') {
        Some((t, n)) => (t.to_string(), n.to_string()),
        None => (String::new(), key.clone()),
    };
    let mut current = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(t) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = t.trim_matches(|c| c == '[' || c == ']').trim().to_string();
            continue;
        }
        let Some((k, _)) = line.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if (current == table && k == name) || (current.is_empty() && k == key) {
            return Some(i + 1);
        }
    }
    None
}

/// A path as the user should read it: relative to the working folder when under it.
pub fn shown(path: &Path) -> String {
    let cwd = std::env::current_dir().ok();
    let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    match cwd.as_deref().and_then(|c| canonical.strip_prefix(c).ok()) {
        Some(rel) => rel.display().to_string(),
        None => path.display().to_string(),
    }
}

/// The planner names files by their absolute, canonical path: show them relative to the
/// working folder.
pub fn shorten(message: &str) -> String {
    let Ok(cwd) = std::env::current_dir() else {
        return message.to_string();
    };
    let cwd = cwd.canonicalize().unwrap_or(cwd);
    message.replace(&format!("{}/", cwd.display()), "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_syntax_error_reads_file_line_reason() {
        let text = "spa = \"auto\"\n\nnope = = 1\n";
        let e = Config::parse(text).unwrap_err();
        let shown = config_error("site.toml", text, &e);
        assert!(shown.starts_with("site.toml:3: "), "{shown}");
    }

    #[test]
    fn a_refused_value_names_the_line_that_sets_it() {
        let text = "# x\n[cache]\nhtml = \"\"\n";
        let e = Config::parse(text).unwrap_err();
        assert_eq!(
            config_error("site.toml", text, &e),
            "site.toml:3: cache.html must not be empty"
        );
    }
}
