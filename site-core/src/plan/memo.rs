//! What a re-plan takes from the plans before it: each file's sniffed type and encoded variants,
//! keyed by the file's path and its stamp (length, modification time, inode). After an edit of
//! one file, a re-plan reads, hashes and encodes that file only; every other file costs one
//! `stat`. For a process that plans the same folder again and again (the dev server); a build
//! plans once and passes a fresh memo.
//!
//! A plan handed back with [`Memo::keep`] goes further: while the settings, `_headers` and
//! `SOURCE_DATE_EPOCH` are unchanged, an unchanged file's planned form is moved into the next
//! plan as it is (no copy), so a re-plan of 100,000 files after one edit costs little more than
//! their `stat`s.
//!
//! A file whose modification time was within [`RACY`] of the moment it was looked at is not
//! trusted the next time: a second write in the same clock tick with the same length would
//! leave its stamp unchanged (git's "racily clean" index entries, handled the same way). Such a
//! file is read once more on the next plan, which costs one read of a file just written.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::encode::{Encoded, Options};
use super::{Placement, Plan, PlannedFile};
use crate::limits::Fits;
use crate::site::Route;

/// How close to "now" a modification time must be for its file to be read again next time.
/// File systems stamp writes with a coarse clock (a few milliseconds on Linux, seconds on some
/// network and FAT mounts).
pub const RACY: Duration = Duration::from_secs(2);

/// Each file's results from the plans so far, for the next plan of the same folder.
#[derive(Default)]
pub struct Memo {
    /// By site path.
    files: HashMap<String, Remembered>,
    /// The encode options, cache and site folder the remembered variants were made with.
    made_with: Option<(Options, PathBuf, PathBuf)>,
    /// What else a planned file depends on (settings, `_headers`, epoch), as text.
    context: String,
    /// Which plan this is; an entry not recalled or stored in it is of a file that is gone.
    plan: u64,
    last: Reuse,
    /// The last plan's routes (handed back by [`Memo::keep`]) and route warnings, for the
    /// paths with this hash, in the same context.
    routes: Option<(u64, BTreeMap<String, Route>, Vec<String>)>,
    /// The hash of the paths of the last plan and its route warnings, until it is handed back.
    noted: Option<(u64, Vec<String>)>,
}

/// What names a list of site paths (SipHash; a collision would need two sites' path lists).
fn paths_hash(paths: &[String]) -> u64 {
    let mut h = DefaultHasher::new();
    paths.hash(&mut h);
    h.finish()
}

/// What the last plan took from the memo.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reuse {
    /// Files planned.
    pub files: usize,
    /// Files read, hashed and encoded (a miss; the encode cache on disk may still hold their
    /// compressed variants). Every other file was taken from the memo.
    pub read: usize,
}

/// A file as `stat` describes it: what must be unchanged for its results to still hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) len: u64,
    modified: Option<SystemTime>,
    inode: u64,
    /// Modified within [`RACY`] of being stat'ed: not to be trusted by the next plan.
    racy: bool,
}

impl Stamp {
    /// The file's stamp (through symlinks, as the planner reads files).
    pub(crate) fn of(path: &Path) -> std::io::Result<Stamp> {
        let m = fs::metadata(path)?;
        let modified = m.modified().ok();
        let now = SystemTime::now();
        let racy = modified.is_none_or(|t| now.duration_since(t).map_or(true, |d| d < RACY));
        Ok(Stamp {
            len: m.len(),
            modified,
            inode: inode(&m),
            racy,
        })
    }

    /// The modification time in seconds since the epoch (0 when the system has none).
    pub(crate) fn seconds(&self) -> u64 {
        self.modified
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs())
    }

    fn same_file_as(&self, other: &Stamp) -> bool {
        (self.len, self.modified, self.inode) == (other.len, other.modified, other.inode)
    }
}

#[cfg(unix)]
fn inode(m: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> u64 {
    0
}

/// One file's results, as of its stamp.
pub(crate) struct Remembered {
    stamp: Stamp,
    /// The type sniffed from the name and the bytes (before `_headers`).
    pub(crate) content_type: String,
    /// Whether the file was encoded as text and as compressible, and its variants.
    encoded: (bool, bool),
    variants: Vec<Encoded>,
    /// The file as planned, handed back by [`Memo::keep`] and taken by the next plan.
    planned: Mutex<Option<PlannedFile>>,
    /// The last plan that used this entry.
    seen: AtomicU64,
}

impl Remembered {
    pub(crate) fn new(
        stamp: Stamp,
        content_type: String,
        encoded: (bool, bool),
        variants: Vec<Encoded>,
    ) -> Remembered {
        Remembered {
            stamp,
            content_type,
            encoded,
            variants,
            planned: Mutex::new(None),
            seen: AtomicU64::new(0),
        }
    }

    /// The file as the last plan planned it, before the size limits (the settings it depends
    /// on are unchanged: [`Memo::begin`] forgets it otherwise).
    pub(crate) fn take_planned(&self) -> Option<PlannedFile> {
        let mut planned = self
            .planned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        // Undo what the size limits did to it (they are applied to the whole site again).
        planned.placement = Placement::Package;
        for (fits, v) in planned.fits.iter_mut().zip(&planned.variants) {
            *fits = Fits::of(planned.header_block, v.json_len);
        }
        Some(planned)
    }

    /// The variants, when the file is encoded the same way as before (`_headers` can change
    /// its type, and with it whether it is text or compressible).
    pub(crate) fn variants_for(&self, encoded: (bool, bool)) -> Option<&[Encoded]> {
        (self.encoded == encoded).then_some(&self.variants[..])
    }
}

impl Memo {
    /// What the last plan took from the memo.
    pub fn last(&self) -> Reuse {
        self.last
    }

    /// Forgets everything (as when the encode cache the remembered variants live in is gone).
    pub fn clear(&mut self) {
        *self = Memo::default();
    }

    /// A plan of the folder `root` starts, encoding with `options` into `cache`: variants made
    /// otherwise are forgotten, and planned files too when `context` (what else a planned file
    /// depends on) is not the last plan's.
    pub(crate) fn begin(&mut self, options: &Options, cache: &Path, root: &Path, context: String) {
        let same = self
            .made_with
            .as_ref()
            .is_some_and(|(o, c, r)| o == options && c == cache && r == root);
        if !same {
            self.files.clear();
            self.made_with = Some((options.clone(), cache.to_path_buf(), root.to_path_buf()));
        }
        if context != self.context {
            for r in self.files.values_mut() {
                *r.planned.get_mut().unwrap_or_else(|e| e.into_inner()) = None;
            }
            self.routes = None;
            self.context = context;
        }
        self.noted = None;
        self.plan += 1;
    }

    /// The file's results, if its stamp is the one they were made at (and was not racy then).
    pub(crate) fn recall(&self, site_path: &str, stamp: &Stamp) -> Option<&Remembered> {
        let known = self
            .files
            .get(site_path)
            .filter(|r| !r.stamp.racy && r.stamp.same_file_as(stamp))?;
        known.seen.store(self.plan, Ordering::Relaxed);
        Some(known)
    }

    /// The last plan's routes and route warnings, if it had exactly these paths (the context
    /// is the same: [`Memo::begin`] forgets them otherwise).
    pub(crate) fn take_routes(
        &mut self,
        paths: &[String],
    ) -> Option<(BTreeMap<String, Route>, Vec<String>)> {
        let (hash, routes, warnings) = self.routes.take()?;
        (hash == paths_hash(paths)).then_some((routes, warnings))
    }

    /// The routes of this plan are of these paths, with these warnings (and nothing else).
    pub(crate) fn note_routes(&mut self, paths: &[String], warnings: &[String]) {
        self.noted = Some((paths_hash(paths), warnings.to_vec()));
    }

    /// Takes a plan back once it has been used, so that the next plan can move its unchanged
    /// files into place instead of planning them again.
    pub fn keep(&mut self, plan: Plan) {
        if let Some((hash, warnings)) = self.noted.take() {
            self.routes = Some((hash, plan.routes, warnings));
        }
        for file in plan.files {
            if let Some(r) = self.files.get_mut(&file.site_path) {
                *r.planned.get_mut().unwrap_or_else(|e| e.into_inner()) = Some(file);
            }
        }
    }

    /// The plan is done: keeps what it made, forgets the files it did not see.
    pub(crate) fn end(&mut self, fresh: Vec<(String, Remembered)>, files: usize) {
        let plan = self.plan;
        self.last = Reuse {
            files,
            read: fresh.len(),
        };
        for (path, r) in fresh {
            r.seen.store(plan, Ordering::Relaxed);
            self.files.insert(path, r);
        }
        self.files
            .retain(|_, r| r.seen.load(Ordering::Relaxed) == plan);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("memo-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// Writes a file last modified an hour ago: long enough not to be racy.
    fn settled(path: &Path, text: &str) {
        fs::write(path, text).unwrap();
        let an_hour_ago = SystemTime::now() - Duration::from_secs(3600);
        fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(an_hour_ago)
            .unwrap();
    }

    #[test]
    fn a_file_just_written_is_racy_and_one_written_long_ago_is_not() {
        let dir = scratch("racy");
        let path = dir.join("a.html");
        fs::write(&path, "a").unwrap();
        assert!(Stamp::of(&path).unwrap().racy);
        settled(&path, "a");
        assert!(!Stamp::of(&path).unwrap().racy);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_rewrite_with_the_same_length_changes_the_stamp() {
        let dir = scratch("rewrite");
        let path = dir.join("a.html");
        settled(&path, "aaaa");
        let before = Stamp::of(&path).unwrap();
        fs::write(&path, "bbbb").unwrap();
        assert!(!Stamp::of(&path).unwrap().same_file_as(&before));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_file_replaced_by_a_rename_changes_the_stamp_even_with_the_same_time_and_length() {
        let dir = scratch("rename");
        let (path, tmp) = (dir.join("a.html"), dir.join("a.html.tmp"));
        settled(&path, "aaaa");
        let before = Stamp::of(&path).unwrap();
        settled(&tmp, "bbbb");
        fs::File::options()
            .write(true)
            .open(&tmp)
            .unwrap()
            .set_modified(before.modified.unwrap())
            .unwrap();
        fs::rename(&tmp, &path).unwrap();
        assert!(!Stamp::of(&path).unwrap().same_file_as(&before));
        fs::remove_dir_all(dir).unwrap();
    }
}
