//! Noticing changes: a snapshot of every entry under the site folder (path, kind, size,
//! modification time) and of the settings file, compared every 100 ms.
//!
//! Polling rather than inotify (or the `notify` crate, whose CC0 licence `deny.toml` does not
//! allow): no watch limits, no per-folder bookkeeping for new folders, and it sees files
//! replaced by an editor's write-and-rename like any other change. A stat of the 16-file sample
//! site takes tens of microseconds; the interval grows with the scan for large sites, so the
//! poll never takes more than a fifth of one core.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

/// One entry: path, is-folder, size, modification time.
type Entry = (PathBuf, bool, u64, Option<SystemTime>);

/// What the watched files looked like at one moment.
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot(Vec<Entry>);

/// Takes a snapshot of `site_dir` (recursively, symlinks not followed into folders) and of
/// `config` (absent is a state too).
pub fn snapshot(site_dir: &Path, config: &Path) -> Snapshot {
    let mut entries = Vec::new();
    stat_into(config, &mut entries);
    walk(site_dir, &mut entries);
    Snapshot(entries)
}

fn stat_into(path: &Path, out: &mut Vec<Entry>) -> Option<fs::Metadata> {
    match fs::metadata(path) {
        Ok(m) => {
            out.push((path.to_path_buf(), m.is_dir(), m.len(), m.modified().ok()));
            Some(m)
        }
        Err(_) => {
            out.push((path.to_path_buf(), false, u64::MAX, None));
            None
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<Entry>) {
    let Ok(read) = fs::read_dir(dir) else {
        return;
    };
    // The entry's type comes with the listing (no extra stat): a symlink is stat'ed through but
    // never walked into, so a link loop cannot hang the watcher.
    let mut children: Vec<(PathBuf, bool)> = read
        .filter_map(|e| e.ok())
        .map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_symlink())))
        .collect();
    children.sort();
    for (path, is_link) in children {
        if let Some(m) = stat_into(&path, out) {
            if m.is_dir() && !is_link {
                walk(&path, out);
            }
        }
    }
}

/// How long to wait after a change before re-planning, and for the files to stop changing
/// (editors write in several steps: a temporary file, a rename, a chmod).
pub const SETTLE: Duration = Duration::from_millis(50);
/// The shortest interval between two polls.
pub const POLL: Duration = Duration::from_millis(100);

/// Calls `changed` (on this thread) after each change of the site folder or the settings file
/// since `first`, once the files have been still for [`SETTLE`]. Never returns.
pub fn watch(site_dir: &Path, config: &Path, first: Snapshot, mut changed: impl FnMut()) -> ! {
    let mut last = first;
    loop {
        let started = Instant::now();
        let now = snapshot(site_dir, config);
        let scan = started.elapsed();
        if now != last {
            let mut settled = now;
            loop {
                std::thread::sleep(SETTLE);
                let again = snapshot(site_dir, config);
                if again == settled {
                    break;
                }
                settled = again;
            }
            changed();
            // Whatever changed while planning is seen on the next poll.
            last = settled;
            continue;
        }
        last = now;
        std::thread::sleep(POLL.max(scan * 4));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("site-dev-watch-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("site/sub")).unwrap();
        fs::write(dir.join("site/sub/a.html"), "a").unwrap();
        dir
    }

    #[test]
    fn a_new_file_in_a_subfolder_changes_the_snapshot() {
        let dir = scratch("new");
        let config = dir.join("site.toml");
        let before = snapshot(&dir.join("site"), &config);
        fs::write(dir.join("site/sub/b.css"), "b").unwrap();
        assert_ne!(before, snapshot(&dir.join("site"), &config));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn creating_the_settings_file_changes_the_snapshot() {
        let dir = scratch("config");
        let config = dir.join("site.toml");
        let before = snapshot(&dir.join("site"), &config);
        assert_eq!(before, snapshot(&dir.join("site"), &config));
        fs::write(&config, "spa = \"off\"").unwrap();
        assert_ne!(before, snapshot(&dir.join("site"), &config));
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn rewriting_a_file_with_a_new_size_changes_the_snapshot() {
        let dir = scratch("edit");
        let config = dir.join("site.toml");
        let before = snapshot(&dir.join("site"), &config);
        fs::write(dir.join("site/sub/a.html"), "a longer page").unwrap();
        assert_ne!(before, snapshot(&dir.join("site"), &config));
        let _ = fs::remove_dir_all(&dir);
    }
}
