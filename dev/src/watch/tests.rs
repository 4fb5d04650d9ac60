use super::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("site-dev-watch-{}-{name}", std::process::id()));
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

fn paths(dir: &Path) -> Paths {
    Paths {
        site_dir: dir.join("site"),
        config: dir.join("site.toml"),
        own: dir.join("cache"),
    }
}

fn event(kind: EventKind, path: PathBuf) -> Event {
    Event::new(kind).add_path(path)
}

#[test]
fn dotfiles_the_server_s_own_files_and_reads_are_no_change() {
    use notify::event::{AccessKind, CreateKind, ModifyKind};
    let p = paths(Path::new("/w"));
    let create = EventKind::Create(CreateKind::File);
    let concerns = |kind, path: &str| p.concerns(&event(kind, PathBuf::from(path)));
    assert!(concerns(create, "/w/site/sub/a.html"));
    assert!(concerns(create, "/w/site/.well-known/security.txt"));
    assert!(concerns(create, "/w/site.toml"));
    assert!(concerns(EventKind::Modify(ModifyKind::Any), "/w/site"));
    assert!(!concerns(create, "/w/site/.git/index"));
    assert!(!concerns(create, "/w/site/sub/.a.html.swp"));
    assert!(!concerns(create, "/w/site/sub/.well-known/x"));
    assert!(!concerns(create, "/w/other.toml"));
    assert!(!concerns(create, "/w/cache/blob"));
    assert!(!concerns(
        EventKind::Access(AccessKind::Any),
        "/w/site/sub/a.html"
    ));
    assert!(
        p.concerns(&Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan)),
        "an overflowed queue means anything may have changed"
    );
}

#[test]
fn the_watch_limit_is_explained_with_the_setting_that_raises_it() {
    let why = explain(
        &notify::Error::new(notify::ErrorKind::MaxFilesWatch),
        Path::new("/w/site"),
    );
    let notice = fallback_notice(&why);
    assert!(notice.contains("fs.inotify.max_user_watches"), "{notice}");
    assert!(notice.contains("polling for changes instead"), "{notice}");
}

/// Runs a watch on its own thread, counting re-plans.
fn counted(dir: &Path) -> Arc<AtomicUsize> {
    let watch = Watch::start(
        &dir.join("site"),
        &dir.join("site.toml"),
        &dir.join("cache"),
        false,
    );
    assert!(watch.by_events(), "file events are available here");
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        watch.run(move || {
            seen.fetch_add(1, Ordering::SeqCst);
        })
    });
    count
}

fn wait_for(count: &AtomicUsize, at_least: usize) {
    let start = Instant::now();
    while count.load(Ordering::SeqCst) < at_least {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no re-plan after a change"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_write_and_rename_in_a_new_folder_is_one_change() {
    let dir = scratch("rename");
    let count = counted(&dir);
    fs::create_dir_all(dir.join("site/new/deeper")).unwrap();
    fs::write(dir.join("site/new/deeper/.page.html.tmp"), "x").unwrap();
    fs::rename(
        dir.join("site/new/deeper/.page.html.tmp"),
        dir.join("site/new/deeper/page.html"),
    )
    .unwrap();
    wait_for(&count, 1);
    // Later edits inside the new folder are seen too (it is watched now).
    std::thread::sleep(SETTLE * 4);
    let before = count.load(Ordering::SeqCst);
    fs::write(dir.join("site/new/deeper/page.html"), "y").unwrap();
    wait_for(&count, before + 1);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn the_settings_file_replaced_by_a_rename_is_a_change() {
    let dir = scratch("settings");
    fs::write(dir.join("site.toml"), "").unwrap();
    let count = counted(&dir);
    fs::write(dir.join("site.toml.new"), "spa = \"off\"").unwrap();
    fs::rename(dir.join("site.toml.new"), dir.join("site.toml")).unwrap();
    wait_for(&count, 1);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_site_folder_deleted_and_made_again_is_watched_again() {
    let dir = scratch("remade");
    let count = counted(&dir);
    fs::remove_dir_all(dir.join("site")).unwrap();
    fs::create_dir_all(dir.join("site")).unwrap();
    wait_for(&count, 1);
    std::thread::sleep(SETTLE * 4);
    let before = count.load(Ordering::SeqCst);
    fs::write(dir.join("site/index.html"), "back").unwrap();
    wait_for(&count, before + 1);
    let _ = fs::remove_dir_all(&dir);
}

#[test]
fn a_deleted_file_is_a_change_and_a_dotfile_is_not() {
    let dir = scratch("delete");
    let count = counted(&dir);
    fs::write(dir.join("site/sub/.a.html.swp"), "swap").unwrap();
    std::thread::sleep(SETTLE * 6);
    assert_eq!(count.load(Ordering::SeqCst), 0, "a dotfile is not served");
    fs::remove_file(dir.join("site/sub/a.html")).unwrap();
    wait_for(&count, 1);
    let _ = fs::remove_dir_all(&dir);
}
