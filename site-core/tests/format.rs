//! The site format read back: a site made in memory goes through the same bytes the binary
//! embeds, and bytes from another format version, or malformed ones, are an error that says
//! why, never a site that answers wrongly.

use site_core::data::{self, FormatError};
use site_core::plan::memory;
use site_core::site::{Route, Site, SiteData};

fn sample() -> SiteData {
    memory::from_files(
        &[
            ("index.html", b"<h1>home</h1>"),
            ("docs/404.html", b"gone"),
            ("docs/a.css", "body { color: red }\n".repeat(200).as_bytes()),
            ("_redirects", b"/old /  302\n"),
        ],
        "",
    )
    .unwrap()
    .into_data()
    .unwrap()
}

fn open(data: SiteData) -> Result<Site, FormatError> {
    Site::from_data(data)
}

#[test]
fn a_packed_site_reads_back_whole() {
    let site = open(sample()).unwrap();
    site.verify().unwrap();
    assert_eq!(site.files_len(), 3);
    assert!(matches!(site.route("/"), Some(Route::File(_))));
    assert_eq!(site.route("/old"), None, "rules are not routes");
    assert_eq!(site.redirects.len(), 1);
}

#[test]
fn the_index_starts_with_the_magic_and_this_version() {
    let data = sample();
    assert!(data::header_ok(&data.index));
    assert_eq!(&data.index[..8], &data::MAGIC);
    assert_eq!(data.index[8..12], data::VERSION.to_le_bytes());
}

#[test]
fn another_format_version_is_refused_naming_both_versions() {
    let mut data = sample();
    data.index[8..12].copy_from_slice(&(data::VERSION + 1).to_le_bytes());
    assert!(!data::header_ok(&data.index));
    let e = open(data).unwrap_err().to_string();
    assert!(
        e.contains(&format!("format version {}", data::VERSION + 1))
            && e.contains(&format!("reads version {}", data::VERSION)),
        "{e}"
    );
}

#[test]
fn bytes_that_are_not_an_index_are_refused() {
    let e = open(SiteData {
        index: b"<!doctype html>".repeat(20),
        segments: vec![],
    })
    .unwrap_err();
    assert!(e.to_string().contains("magic"), "{e}");
    assert!(open(SiteData::default()).is_err());
}

#[test]
fn a_truncated_index_is_refused() {
    let mut data = sample();
    let len = data.index.len();
    data.index.truncate(len - 10);
    let e = open(data).unwrap_err().to_string();
    assert!(e.contains("outside the index"), "{e}");
}

#[test]
fn a_missing_body_segment_is_refused() {
    let mut data = sample();
    data.segments.pop();
    let e = open(data).unwrap_err().to_string();
    assert!(e.contains("body segments"), "{e}");
}

#[test]
fn a_body_cut_short_is_refused() {
    let mut data = sample();
    let last = data.segments.last_mut().unwrap();
    last.truncate(last.len() - 1);
    assert!(open(data).is_err());
}

#[test]
fn a_string_pointing_outside_the_pool_is_refused() {
    let mut data = sample();
    // The first file record's path: its offset, far past the pool.
    let files_at = data::PREAMBLE_LEN + 8;
    let off = u32::from_le_bytes(data.index[files_at..files_at + 4].try_into().unwrap()) as usize;
    data.index[off..off + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = open(data).unwrap_err().to_string();
    assert!(e.contains("file 0 is malformed"), "{e}");
}

#[test]
fn a_route_to_a_file_that_is_not_there_is_refused() {
    let mut data = sample();
    let routes_at = data::PREAMBLE_LEN + 5 * 8;
    let off = u32::from_le_bytes(data.index[routes_at..routes_at + 4].try_into().unwrap()) as usize;
    // The first route (in byte order "/") serves a file: point it past the table.
    data.index[off + 12..off + 16].copy_from_slice(&99u32.to_le_bytes());
    let e = open(data).unwrap_err().to_string();
    assert!(e.contains("leads to a file that is not there"), "{e}");
}

#[test]
fn no_body_is_split_across_segments_and_none_is_over_the_segment_size() {
    let site = open(sample()).unwrap();
    for s in site.segments() {
        assert!(s.len() <= data::SEGMENT_BYTES);
    }
    for f in site.files() {
        for v in f.variants.iter() {
            if let Some(json) = site.body_json(&v) {
                assert!(json.starts_with('"') && json.ends_with('"'));
            }
        }
    }
}

#[test]
fn bodies_fill_segments_of_at_most_eight_mib_without_splitting_one() {
    // Thirteen incompressible 700 KB files (about 933 KB each as base64): more than one segment.
    let mut x = 7u32;
    let files: Vec<(String, Vec<u8>)> = (0..13)
        .map(|i| {
            let bytes = (0..700_000)
                .map(|_| {
                    x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                    (x >> 16) as u8
                })
                .collect();
            (format!("blob{i:02}.bin"), bytes)
        })
        .collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(p, b)| (p.as_str(), &b[..])).collect();
    let site = memory::from_files(&refs, "[compression]\ngzip = false\nbrotli = false\n").unwrap();
    let segments = site.segments();
    assert_eq!(
        segments.len(),
        2,
        "{:?}",
        segments.iter().map(|s| s.len()).collect::<Vec<_>>()
    );
    assert!(segments.iter().all(|s| s.len() <= data::SEGMENT_BYTES));
    for (f, (_, bytes)) in site.files().zip(&files) {
        assert_eq!(
            site_core::site::body_bytes(&site, &f.identity()).as_ref(),
            Some(bytes),
            "{}",
            f.path
        );
    }
}

#[test]
fn identical_files_are_stored_once() {
    // docs/big-sites-and-s3.md: "identical files once". A second file with the same bytes adds
    // records for its path, and no body.
    let page = "<p>the same page</p>\n".repeat(300);
    let one = memory::from_files(&[("a.html", page.as_bytes())], "").unwrap();
    let two = memory::from_files(
        &[
            ("a.html", page.as_bytes()),
            ("copy/b.html", page.as_bytes()),
        ],
        "",
    )
    .unwrap();
    assert_eq!(two.files_len(), one.files_len() + 1);
    assert_eq!(two.stored_bodies(), one.stored_bodies());
    let other = memory::from_files(
        &[
            ("a.html", page.as_bytes()),
            ("c.html", b"<p>another page</p>"),
        ],
        "",
    )
    .unwrap();
    assert!(other.stored_bodies().0 > one.stored_bodies().0);
}
