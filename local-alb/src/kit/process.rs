//! What Linux's /proc says about a process: its children (a function under the RIE or under
//! local-alb is a child of it) and its peak resident set.

use std::path::Path;

/// The process ids of `pid`'s children, from every thread's `children` list.
pub fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("children")).ok())
        .flat_map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok())
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The child of `pid` running the executable `exe` (an absolute, canonical path).
pub fn child_running(pid: u32, exe: &Path) -> Option<u32> {
    children(pid).into_iter().find(|child| {
        std::fs::read_link(format!("/proc/{child}/exe")).is_ok_and(|running| running == exe)
    })
}

/// VmHWM, the process's peak resident set, in KiB; `None` once it is gone.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_has_a_peak_rss_and_a_child_it_started() {
        assert!(peak_rss_kib(std::process::id()).is_some_and(|k| k > 0));
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let found = children(std::process::id()).contains(&child.id());
        let _ = child.kill();
        let _ = child.wait();
        assert!(found, "the sleep child is listed");
    }
}
