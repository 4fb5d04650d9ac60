//! Noticing changes to the site folder and the settings file, and saying when to re-plan.
//!
//! File events from the system through the `notify` crate (inotify on Linux, FSEvents on
//! macOS): the site folder recursively (notify adds a watch for each new folder), and the
//! folders holding the site folder and the settings file, for a settings file written by an
//! editor's write-and-rename and a site folder deleted and made again by a generator. Events
//! only say *that* something may have changed: the re-plan itself stats every file (site-core's
//! memo reads only what changed), so an event missed, merged or overflowed cannot leave a stale
//! page. A burst (an editor's temporary file, rename and chmod; a generator writing thousands
//! of files) is one re-plan once the files have been still for [`SETTLE`].
//!
//! Where events cannot be had (the inotify watch limit, a network or container mount without
//! events, or `--poll`), it says so on stderr and polls a snapshot of the files instead.

use std::fs;
use std::path::{Component, Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use notify::event::{Event, EventKind};
use notify::{Config, EventKindMask, RecommendedWatcher, RecursiveMode, Watcher};

/// How long the files must be still after an event before re-planning (editors write in
/// several steps: a temporary file, a rename, a chmod).
pub const SETTLE: Duration = Duration::from_millis(50);
/// The longest a stream of events defers a re-plan (a generator writing for minutes still
/// shows its progress).
pub const MOST_DEFERRED: Duration = Duration::from_secs(1);
/// The shortest interval between two polls.
pub const POLL: Duration = Duration::from_millis(100);

/// What is watched, and how.
pub struct Watch {
    paths: Paths,
    how: How,
}

/// The watched paths, absolute (events name paths under the ones watched).
struct Paths {
    site_dir: PathBuf,
    config: PathBuf,
    /// Where the dev server writes (the encode cache): never a change of the site.
    own: PathBuf,
}

enum How {
    Events(Events),
    Poll(Snapshot),
}

struct Events {
    watcher: RecommendedWatcher,
    events: Receiver<notify::Result<Event>>,
    /// The site folder the recursive watch is on (device and inode), if it exists.
    root: Option<(u64, u64)>,
}

/// Why file events cannot be used.
#[derive(Debug)]
pub struct NoEvents(String);

impl std::fmt::Display for NoEvents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoEvents {}

impl Watch {
    /// Starts watching `site_dir` and `config` before the first plan, so that nothing written
    /// while it plans is missed. With `poll`, or when file events cannot be had (said on
    /// stderr, with the reason), polls instead. `own` is a folder the server writes to.
    pub fn start(site_dir: &Path, config: &Path, own: &Path, poll: bool) -> Watch {
        let paths = Paths {
            site_dir: absolute(site_dir),
            config: absolute(config),
            own: absolute(own),
        };
        let how = if poll {
            eprintln!(
                "site-dev: polling for changes (--poll): a stat of every file, every {} ms or more",
                POLL.as_millis()
            );
            How::Poll(snapshot(&paths.site_dir, &paths.config))
        } else {
            match Events::start(&paths) {
                Ok(events) => How::Events(events),
                Err(why) => {
                    eprintln!("{}", fallback_notice(&why));
                    How::Poll(snapshot(&paths.site_dir, &paths.config))
                }
            }
        };
        Watch { paths, how }
    }

    /// Whether changes are noticed by file events (rather than by polling).
    pub fn by_events(&self) -> bool {
        matches!(self.how, How::Events(_))
    }

    /// Calls `changed` (on this thread) after each change of the site folder or the settings
    /// file once the files have been still for [`SETTLE`]. Never returns.
    pub fn run(self, mut changed: impl FnMut()) -> ! {
        let Watch { paths, how } = self;
        let last = match how {
            How::Events(events) => {
                let why = events.run(&paths, &mut changed);
                eprintln!("{}", fallback_notice(&why));
                // What happened while events were failing is not known: plan again.
                let now = snapshot(&paths.site_dir, &paths.config);
                changed();
                now
            }
            How::Poll(first) => first,
        };
        poll(&paths, last, changed)
    }
}

/// The line that says events are not used, why, and what to do about it.
pub fn fallback_notice(why: &NoEvents) -> String {
    format!(
        "site-dev: no file events ({why}); polling for changes instead: a stat of every file, \
         every {} ms or more",
        POLL.as_millis()
    )
}

/// Why a watch could not be set up, in words that say what to do.
fn explain(e: &notify::Error, what: &Path) -> NoEvents {
    let reason = match &e.kind {
        notify::ErrorKind::MaxFilesWatch => format!(
            "the system's limit of watched folders is reached watching {}; raise it with \
             `sudo sysctl fs.inotify.max_user_watches=524288`",
            what.display()
        ),
        notify::ErrorKind::Io(io) if io.raw_os_error() == Some(24) => format!(
            "too many file watchers are open (EMFILE) for {}; raise \
             `fs.inotify.max_user_instances` or close other watchers",
            what.display()
        ),
        _ => format!("cannot watch {}: {e}", what.display()),
    };
    NoEvents(reason)
}

impl Events {
    fn start(paths: &Paths) -> Result<Events, NoEvents> {
        let (tx, events) = mpsc::channel();
        // Creations, removals and modifications only: open and close events would report the
        // planner's own reads of every file.
        let config = Config::default().with_event_kinds(EventKindMask::CORE);
        let mut watcher =
            RecommendedWatcher::new(tx, config).map_err(|e| explain(&e, &paths.site_dir))?;
        // The folders holding the site folder and the settings file, for their creation,
        // removal and replacement by a rename (not needed for one inside the site folder).
        let mut parents: Vec<&Path> = Vec::new();
        for path in [&paths.site_dir, &paths.config] {
            if let Some(parent) = path.parent() {
                if !parent.starts_with(&paths.site_dir) && !parents.contains(&parent) {
                    parents.push(parent);
                }
            }
        }
        for parent in parents.into_iter().filter(|p| p.is_dir()) {
            watcher
                .watch(parent, RecursiveMode::NonRecursive)
                .map_err(|e| explain(&e, parent))?;
        }
        let mut events = Events {
            watcher,
            events,
            root: None,
        };
        events.arm(&paths.site_dir, false)?;
        Ok(events)
    }

    /// Puts the recursive watch on the site folder if it is not on the folder now there (it
    /// was missing, or it was deleted or renamed and made again), or if `again` (an event
    /// was about the folder itself: a new folder can have the old one's inode).
    fn arm(&mut self, site_dir: &Path, again: bool) -> Result<(), NoEvents> {
        let now = folder_id(site_dir);
        if now == self.root && !again {
            return Ok(());
        }
        if self.root.is_some() {
            // The folder it was on is gone: its watches went with it.
            let _ = self.watcher.unwatch(site_dir);
        }
        self.root = None;
        if now.is_some() {
            self.watcher
                .watch(site_dir, RecursiveMode::Recursive)
                .map_err(|e| explain(&e, site_dir))?;
            self.root = now;
        }
        Ok(())
    }

    /// Re-plans after each settled burst of events, until the events fail (the reason).
    fn run(mut self, paths: &Paths, changed: &mut impl FnMut()) -> NoEvents {
        loop {
            let first = match self.events.recv() {
                Ok(Ok(event)) => event,
                Ok(Err(e)) => return explain(&e, &paths.site_dir),
                Err(_) => return NoEvents("the file watcher stopped".into()),
            };
            if !paths.concerns(&first) {
                continue;
            }
            let started = Instant::now();
            let mut root_touched = paths.is_root(&first);
            loop {
                let wait = SETTLE.min(MOST_DEFERRED.saturating_sub(started.elapsed()));
                match self.events.recv_timeout(wait) {
                    // Any event delays the re-plan: an editor's temporary file in the site
                    // folder is part of the burst that ends with the rename.
                    Ok(Ok(event)) => {
                        root_touched |= paths.is_root(&event);
                        if wait.is_zero() {
                            break;
                        }
                    }
                    Err(RecvTimeoutError::Timeout) => break,
                    Ok(Err(e)) => return explain(&e, &paths.site_dir),
                    Err(RecvTimeoutError::Disconnected) => {
                        return NoEvents("the file watcher stopped".into())
                    }
                }
            }
            if let Err(why) = self.arm(&paths.site_dir, root_touched) {
                return why;
            }
            changed();
        }
    }
}

impl Paths {
    /// Whether an event is about the site folder itself (made, removed, renamed).
    fn is_root(&self, event: &Event) -> bool {
        event.paths.iter().any(|p| p == &self.site_dir)
    }

    /// Whether an event may change what is served: anything under the site folder but
    /// dotfiles and dot-folders (never served: `.git/`, editors' swap files) and the server's
    /// own files, the site folder itself, or the settings file. An event without a path (the
    /// queue overflowed) concerns everything.
    fn concerns(&self, event: &Event) -> bool {
        if matches!(event.kind, EventKind::Access(_)) {
            return false;
        }
        if event.need_rescan() || event.paths.is_empty() {
            return true;
        }
        event.paths.iter().any(|p| {
            if p == &self.config || p == &self.site_dir {
                return true;
            }
            if p.starts_with(&self.own) {
                return false;
            }
            match p.strip_prefix(&self.site_dir) {
                Ok(rel) => !hidden(rel),
                Err(_) => false,
            }
        })
    }
}

/// Whether the planner leaves a path (relative to the site folder) out as a dotfile or in a
/// dot-folder (all but a top-level `.well-known/`).
fn hidden(rel: &Path) -> bool {
    rel.components().enumerate().any(|(i, c)| match c {
        Component::Normal(name) => {
            let name = name.to_string_lossy();
            name.starts_with('.') && !(i == 0 && name == ".well-known")
        }
        _ => false,
    })
}

/// The path made absolute against the working folder (not through symlinks: events name the
/// path as it was watched).
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

#[cfg(unix)]
fn folder_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    fs::metadata(path)
        .ok()
        .filter(|m| m.is_dir())
        .map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn folder_id(path: &Path) -> Option<(u64, u64)> {
    fs::metadata(path)
        .ok()
        .filter(|m| m.is_dir())
        .map(|_| (0, 0))
}

// Polling, where events cannot be had. By hand rather than notify's PollWatcher: its interval is
// fixed, where this one grows with the time a scan takes, so polling a large site never takes
// more than a fifth of one core.

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

/// Polls from `last` on, calling `changed` once the files have been still for [`SETTLE`].
fn poll(paths: &Paths, mut last: Snapshot, mut changed: impl FnMut()) -> ! {
    let (site_dir, config) = (&paths.site_dir, &paths.config);
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
mod tests;
