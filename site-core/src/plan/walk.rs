//! Which files of a folder are served: no dotfiles or dot-folders (but `.well-known/`), no
//! `_headers` or `_redirects`, no symlink that leaves the site, only UTF-8 names.

use std::fs;
use std::path::{Path, PathBuf};

use super::error::{io, PlanError};

/// A servable file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteFile {
    /// "/blog/index.html"
    pub site_path: String,
    pub abs: PathBuf,
}

/// The servable files under `root` (canonical), sorted by site path, and warnings.
pub fn walk(root: &Path) -> Result<(Vec<SiteFile>, Vec<String>), PlanError> {
    let mut files = Vec::new();
    let mut warnings = Vec::new();
    walk_dir(root, root, &mut files, &mut warnings)?;
    files.sort_by(|a, b| a.site_path.cmp(&b.site_path));
    Ok((files, warnings))
}

fn walk_dir(
    root: &Path,
    dir: &Path,
    out: &mut Vec<SiteFile>,
    warnings: &mut Vec<String>,
) -> Result<(), PlanError> {
    for entry in fs::read_dir(dir).map_err(io(dir))? {
        let entry = entry.map_err(io(dir))?;
        let path = entry.path();
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            return Err(PlanError::at(
                &path,
                "this name is not UTF-8, so no URL can name it: rename it to UTF-8 (for \
                 example `convmv -f latin1 -t utf8 --notest`), or move it out of the site folder",
            ));
        };
        let at_top = dir == root;
        if name.starts_with('.') && !(at_top && name == ".well-known") {
            continue;
        }
        if at_top && matches!(name, "_headers" | "_redirects") {
            continue;
        }
        if name.chars().any(|c| c.is_control() || c == '\\') {
            return Err(PlanError::at(
                &path,
                "a file name with a control character or backslash cannot be requested safely: rename it, or move it out of the site folder",
            ));
        }
        // The listing gives each entry's type (no `stat` but for a symlink): a walk of a
        // large site is a re-plan's first step in the dev server, after every edit.
        let mut kind = entry.file_type().map_err(io(&path))?;
        if kind.is_symlink() {
            kind = fs::metadata(&path).map_err(io(&path))?.file_type();
            let target = path.canonicalize().map_err(io(&path))?;
            if !target.starts_with(root) {
                warnings.push(format!(
                    "{} is a symlink out of the site; it is not served",
                    path.display()
                ));
                continue;
            }
        }
        if kind.is_dir() {
            walk_dir(root, &path, out, warnings)?;
        } else if kind.is_file() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotfiles_rule_files_and_outward_symlinks_are_left_out() {
        let dir = std::env::temp_dir().join(format!("walk-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        for (p, body) in [
            ("index.html", "x"),
            ("_headers", ""),
            ("_redirects", ""),
            (".env", "secret"),
            (".git/config", "x"),
            (".well-known/security.txt", "x"),
            ("a/.hidden", "x"),
            (
                "a/_headers",
                "served: only the top-level one is a rules file",
            ),
        ] {
            let f = dir.join(p);
            fs::create_dir_all(f.parent().unwrap()).unwrap();
            fs::write(f, body).unwrap();
        }
        std::os::unix::fs::symlink("/etc/hostname", dir.join("out")).unwrap();
        let root = dir.canonicalize().unwrap();
        let (files, warnings) = walk(&root).unwrap();
        let paths: Vec<&str> = files.iter().map(|f| f.site_path.as_str()).collect();
        assert_eq!(
            paths,
            ["/.well-known/security.txt", "/a/_headers", "/index.html"]
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        fs::remove_dir_all(&dir).unwrap();
    }
}
