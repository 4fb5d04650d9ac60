//! Progress of the encode step, for a build that takes long enough to wonder about: the files
//! done so far, reported every few seconds from whichever rayon worker finishes a file once the
//! interval has passed (atomics; no thread of its own), and once at the end if it was reported
//! at all. A site that encodes quicker than the interval reports nothing.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// How far the encode step is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub files: usize,
    pub total_files: usize,
    /// The files' own bytes (before encoding).
    pub bytes: u64,
    pub total_bytes: u64,
}

impl fmt::Display for Progress {
    /// `encoding: 2500/10000 files (26.4 MB of 105.8 MB)` (MB = 1,000,000 bytes).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mb = |b: u64| b as f64 / 1e6;
        write!(
            f,
            "encoding: {}/{} files ({:.1} MB of {:.1} MB)",
            self.files,
            self.total_files,
            mb(self.bytes),
            mb(self.total_bytes)
        )
    }
}

/// Where progress goes; called from rayon's workers, one call at a time.
pub type Report<'a> = &'a (dyn Fn(&Progress) + Sync);

/// How often [`Tracker`] reports, and how long an encode runs before it says anything.
pub const INTERVAL: Duration = Duration::from_secs(3);

/// Counts finished files and reports at most once per interval.
pub(crate) struct Tracker<'a> {
    report: Report<'a>,
    start: Instant,
    interval_ms: u64,
    /// Milliseconds since `start` at which the next report is due.
    next_ms: AtomicU64,
    files: AtomicUsize,
    bytes: AtomicU64,
    total_files: usize,
    total_bytes: u64,
    reported: AtomicBool,
}

impl<'a> Tracker<'a> {
    pub(crate) fn new(
        report: Report<'a>,
        interval: Duration,
        total_files: usize,
        total_bytes: u64,
    ) -> Self {
        let interval_ms = interval.as_millis() as u64;
        Tracker {
            report,
            start: Instant::now(),
            interval_ms,
            next_ms: AtomicU64::new(interval_ms),
            files: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            total_files,
            total_bytes,
            reported: AtomicBool::new(false),
        }
    }

    fn progress(&self) -> Progress {
        Progress {
            files: self.files.load(Ordering::Relaxed),
            total_files: self.total_files,
            bytes: self.bytes.load(Ordering::Relaxed),
            total_bytes: self.total_bytes,
        }
    }

    /// A file of `len` bytes is done; reports if the interval has passed since the last report
    /// (only the worker that wins the exchange reports, so reports never overlap in time).
    pub(crate) fn file_done(&self, len: u64) {
        self.files.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(len, Ordering::Relaxed);
        let now = self.start.elapsed().as_millis() as u64;
        let due = self.next_ms.load(Ordering::Relaxed);
        if now >= due
            && self
                .next_ms
                .compare_exchange(due, u64::MAX, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        {
            self.reported.store(true, Ordering::Relaxed);
            (self.report)(&self.progress());
            let after = self.start.elapsed().as_millis() as u64;
            self.next_ms
                .store(after.saturating_add(self.interval_ms), Ordering::Release);
        }
    }

    /// The encode is over: one last report, if there were any before.
    pub(crate) fn finish(&self) {
        if self.reported.load(Ordering::Relaxed) {
            (self.report)(&self.progress());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rayon::prelude::*;
    use std::sync::Mutex;

    #[test]
    fn the_line_reads_files_and_megabytes() {
        let p = Progress {
            files: 2500,
            total_files: 10_000,
            bytes: 26_449_999,
            total_bytes: 105_827_133,
        };
        assert_eq!(
            p.to_string(),
            "encoding: 2500/10000 files (26.4 MB of 105.8 MB)"
        );
    }

    #[test]
    fn an_encode_quicker_than_the_interval_reports_nothing() {
        let seen = Mutex::new(Vec::new());
        let report = |p: &Progress| seen.lock().unwrap().push(*p);
        let t = Tracker::new(&report, Duration::from_secs(3600), 100, 1000);
        (0..100).into_par_iter().for_each(|_| t.file_done(10));
        t.finish();
        assert!(seen.lock().unwrap().is_empty());
    }

    #[test]
    fn every_file_is_counted_and_the_last_report_is_the_total() {
        let seen = Mutex::new(Vec::new());
        let report = |p: &Progress| seen.lock().unwrap().push(*p);
        // An interval of zero: due at every file, yet reports never overlap.
        let t = Tracker::new(&report, Duration::ZERO, 1000, 10_000);
        (0..1000).into_par_iter().for_each(|_| t.file_done(10));
        t.finish();
        let seen = seen.into_inner().unwrap();
        assert!(seen.len() >= 2, "{}", seen.len());
        assert!(seen.iter().all(|p| p.files <= 1000 && p.bytes <= 10_000));
        assert!(
            seen.windows(2).all(|w| w[0].files <= w[1].files),
            "reports go forward"
        );
        assert_eq!(
            seen.last(),
            Some(&Progress {
                files: 1000,
                total_files: 1000,
                bytes: 10_000,
                total_bytes: 10_000,
            })
        );
    }
}
