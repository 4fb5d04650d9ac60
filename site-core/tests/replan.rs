//! Re-planning a folder with a memo, as the dev server does after every change: a re-plan
//! reads (and encodes) only the files whose stamp changed, and plans exactly what a plan from
//! scratch plans.

use std::fs;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use site_core::plan::{plan_remembering, plan_with, Config, Input, Memo, Plan};

/// A site folder and its encode cache, removed on drop.
struct Folder {
    dir: PathBuf,
}

/// Each write gets its own modification time, long past: no file is "racy" (just written).
static CLOCK: AtomicU64 = AtomicU64::new(1_700_000_000);

impl Folder {
    fn new(name: &str, files: &[(&str, &str)]) -> Folder {
        let dir = std::env::temp_dir().join(format!("replan-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let folder = Folder { dir };
        for (path, text) in files {
            folder.write(path, text);
        }
        folder
    }

    /// Writes a file of the site, last modified long ago.
    fn write(&self, rel: &str, text: &str) {
        let path = self.dir.join("site").join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, text).unwrap();
        let when = UNIX_EPOCH + Duration::from_secs(CLOCK.fetch_add(1, Ordering::Relaxed));
        fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(when)
            .unwrap();
    }

    fn input(&self) -> Input {
        Input {
            site_dir: self.dir.join("site"),
            config: PathBuf::new(),
            cache_dir: self.dir.join("cache"),
            epoch: None,
        }
    }

    /// Plans with the memo and hands the plan back to it, as the dev server does; returns
    /// the plan and how many files it read.
    fn replan(&self, memo: &mut Memo, toml: &str) -> (Plan, usize) {
        let config = Config::parse(toml).unwrap();
        let plan = plan_remembering(&self.input(), config, &|_| {}, memo).unwrap();
        memo.keep(plan.clone());
        (plan, memo.last().read)
    }

    /// What a plan from scratch makes of the folder now, to compare with a re-plan.
    fn planned_from_scratch(&self, toml: &str) -> String {
        shown(&plan_with(&self.input(), Config::parse(toml).unwrap()).unwrap())
    }
}

/// A plan as text to compare, without how long its stages took (which differs every run).
fn shown(plan: &Plan) -> String {
    let mut plan = plan.clone();
    plan.timings = Default::default();
    format!("{plan:?}")
}

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
    }
}

const SITE: &[(&str, &str)] = &[
    ("index.html", "<h1>home</h1>"),
    ("about.html", "<h1>about</h1>"),
    ("docs/guide.html", "<h1>guide</h1>"),
    (
        "data.bin",
        "0123456789 0123456789 0123456789 0123456789 0123456789",
    ),
];

#[test]
fn a_re_plan_without_changes_reads_no_file() {
    let site = Folder::new("still", SITE);
    let mut memo = Memo::default();
    assert_eq!(site.replan(&mut memo, "").1, 4);
    let (plan, read) = site.replan(&mut memo, "");
    assert_eq!(read, 0);
    assert_eq!(shown(&plan), site.planned_from_scratch(""));
}

#[test]
fn an_edit_of_one_file_reads_and_encodes_that_file_only() {
    let site = Folder::new("edit", SITE);
    let mut memo = Memo::default();
    site.replan(&mut memo, "");
    site.write("docs/guide.html", "<h1>guide, edited</h1>");
    let (plan, read) = site.replan(&mut memo, "");
    assert_eq!(read, 1);
    assert_eq!(shown(&plan), site.planned_from_scratch(""));
}

#[test]
fn an_edit_keeping_the_length_is_seen() {
    let site = Folder::new("same-length", SITE);
    let mut memo = Memo::default();
    site.replan(&mut memo, "");
    site.write("about.html", "<h1>ABOUT</h1>");
    let (plan, read) = site.replan(&mut memo, "");
    assert_eq!(read, 1);
    assert_eq!(shown(&plan), site.planned_from_scratch(""));
}

#[test]
fn new_and_deleted_files_are_planned_as_planned_from_scratch() {
    let site = Folder::new("add-delete", SITE);
    let mut memo = Memo::default();
    site.replan(&mut memo, "");
    fs::remove_file(site.dir.join("site/about.html")).unwrap();
    site.write("new/page.html", "<p>new</p>");
    let (plan, read) = site.replan(&mut memo, "");
    assert_eq!(read, 1, "only the new file");
    assert_eq!(plan.files.len(), 4);
    assert_eq!(shown(&plan), site.planned_from_scratch(""));
}

#[test]
fn a_file_written_just_now_is_read_again_by_the_next_plan() {
    let site = Folder::new("racy", SITE);
    let mut memo = Memo::default();
    fs::write(site.dir.join("site/about.html"), "<h1>now</h1>").unwrap();
    site.replan(&mut memo, "");
    // Its stamp could still change without its time or length changing (a second write in
    // the same clock tick): it is not trusted yet.
    assert_eq!(site.replan(&mut memo, "").1, 1);
}

#[test]
fn a_headers_rule_changing_a_file_s_type_encodes_it_again() {
    let site = Folder::new("retype", SITE);
    let mut memo = Memo::default();
    let (before, _) = site.replan(&mut memo, "");
    let variants = |plan: &Plan| {
        let f = plan.files.iter().find(|f| f.site_path == "/data.bin");
        f.unwrap().variants.len()
    };
    assert_eq!(variants(&before), 1, "binary data is not compressed");
    site.write("_headers", "/data.bin\n  Content-Type: text/plain\n");
    let (after, read) = site.replan(&mut memo, "");
    assert_eq!(read, 1, "the file whose type changed");
    assert!(variants(&after) > 1, "text is compressed");
    assert_eq!(shown(&after), site.planned_from_scratch(""));
}

#[test]
fn other_compression_settings_encode_every_file_again() {
    let site = Folder::new("settings", SITE);
    let mut memo = Memo::default();
    site.replan(&mut memo, "");
    let toml = "[compression]\nbrotli = false\n";
    let (plan, read) = site.replan(&mut memo, toml);
    assert_eq!(read, 4);
    assert_eq!(shown(&plan), site.planned_from_scratch(toml));
}

#[test]
fn files_kept_in_s3_by_the_size_limit_are_planned_as_planned_from_scratch() {
    // About 2 MB that no encoding brings under ALB's 1 MB.
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let noise: String = (0..2_000_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(
                b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/"
                    [(x % 64) as usize],
            )
        })
        .collect();
    let site = Folder::new("s3", SITE);
    site.write("big.txt", &noise);
    let toml = "[limits]\ntoo_large = \"s3\"\n";
    let mut memo = Memo::default();
    let (first, _) = site.replan(&mut memo, toml);
    assert!(
        first.files.iter().any(|f| f.in_s3()),
        "big.txt is kept in S3"
    );
    site.write("index.html", "<h1>home, edited</h1>");
    let (plan, read) = site.replan(&mut memo, toml);
    assert_eq!(read, 1);
    assert_eq!(shown(&plan), site.planned_from_scratch(toml));
    // Planned twice from files the memo kept: still as from scratch.
    let (plan, _) = site.replan(&mut memo, toml);
    assert_eq!(shown(&plan), site.planned_from_scratch(toml));
}
