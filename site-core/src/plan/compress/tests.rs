use super::*;
use std::io::Read;

/// Text like a page's: varied enough that the qualities differ.
fn page(len: usize) -> Vec<u8> {
    let words = [
        "static",
        "site",
        "lambda",
        "<p>",
        "</p>",
        "balancer",
        "cache",
        "header",
        "route",
        "bytes",
        "served",
        "index",
        "<a href=\"/docs/\">",
        "</a>",
        "encoding",
        "\n",
    ];
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut out = Vec::with_capacity(len + 32);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(words[(x % words.len() as u64) as usize].as_bytes());
        out.push(b' ');
        if x.is_multiple_of(7) {
            out.extend_from_slice(format!("{}", x % 100_000).as_bytes());
        }
    }
    out.truncate(len);
    out
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

const BIG_SITE: u64 = Policy::DEFAULT.small_budget + 1;

#[test]
fn compressing_twice_gives_the_same_bytes() {
    let text = page(20_000);
    for settings in [
        Policy::DEFAULT.for_site(0),
        Policy::DEFAULT.for_site(BIG_SITE),
    ] {
        for encoding in [Encoding::Gzip, Encoding::Brotli] {
            assert_eq!(
                settings.compress(encoding, &text).unwrap(),
                settings.compress(encoding, &text).unwrap(),
                "{encoding:?}"
            );
        }
    }
}

#[test]
fn what_is_compressed_decompresses_to_the_input() {
    for len in [0, 1, 100, 70_000] {
        let text = page(len);
        for settings in [
            Policy::DEFAULT.for_site(0),
            Policy::DEFAULT.for_site(BIG_SITE),
        ] {
            let gz = settings.compress(Encoding::Gzip, &text).unwrap();
            assert_eq!(gunzip(&gz), text, "gzip, {len} bytes");
            let br = settings.compress(Encoding::Brotli, &text).unwrap();
            assert_eq!(unbrotli(&br), text, "br, {len} bytes");
        }
    }
}

#[test]
fn quality_11_for_large_files_and_for_every_file_of_a_site_with_few_small_ones() {
    let large = Policy::DEFAULT.large_file;
    let budget = Policy::DEFAULT.small_budget;
    let small_site = Policy::DEFAULT.for_site(budget);
    for len in [0, 1, large - 1, large, 100 * large] {
        assert_eq!(small_site.brotli_quality(len), 11, "{len} bytes");
    }
    let big_site = Policy::DEFAULT.for_site(budget + 1);
    assert_eq!(big_site.brotli_quality(0), 10);
    assert_eq!(big_site.brotli_quality(large - 1), 10);
    assert_eq!(big_site.brotli_quality(large), 11);
    assert_eq!(big_site.brotli_quality(100 * large), 11);
    // Small: shorter than `large_file`, and compressible by its name.
    let files = [
        ("/a.html", large - 1),
        ("/b.html", large),
        ("/c.png", 10),
        ("/d.css", 1),
    ];
    assert_eq!(Policy::DEFAULT.small_bytes(files), large);
    // The old policy: 11 for everything, however big the site.
    let always = Policy::ALWAYS_11.for_site(u64::MAX);
    for len in [0, large - 1, large] {
        assert_eq!(always.brotli_quality(len), 11);
    }
}

#[test]
fn the_quality_chosen_is_the_quality_used() {
    let text = page(5_000);
    let big_site = Policy::DEFAULT.for_site(BIG_SITE);
    assert_eq!(
        big_site.compress(Encoding::Brotli, &text).unwrap(),
        brotli(&text, 10, BROTLI_WINDOW).unwrap()
    );
    assert_eq!(
        Policy::DEFAULT
            .for_site(0)
            .compress(Encoding::Brotli, &text)
            .unwrap(),
        brotli(&text, 11, BROTLI_WINDOW).unwrap()
    );
    assert_eq!(
        big_site.compress(Encoding::Gzip, &text).unwrap(),
        gzip(&text, GZIP_LEVEL).unwrap()
    );
}

#[test]
fn the_cache_tag_names_the_settings_so_another_policy_never_reuses_a_blob() {
    let small = Policy::DEFAULT.large_file - 1;
    let large = Policy::DEFAULT.large_file;
    let big_site = Policy::DEFAULT.for_site(BIG_SITE);
    let small_site = Policy::DEFAULT.for_site(0);
    // Same settings, same tag (the tags of the builds before the policy: blobs still good).
    assert_eq!(small_site.tag(Encoding::Brotli, small), "br11w22");
    assert_eq!(big_site.tag(Encoding::Brotli, large), "br11w22");
    assert_eq!(big_site.tag(Encoding::Gzip, small), "gz9");
    // Other settings, another tag.
    assert_eq!(big_site.tag(Encoding::Brotli, small), "br10w22");
    assert_ne!(
        big_site.tag(Encoding::Brotli, small),
        Policy::ALWAYS_11
            .for_site(BIG_SITE)
            .tag(Encoding::Brotli, small)
    );
    // And the tag follows what compress does: quality 10 and 11 differ in bytes.
    let text = page(small as usize);
    assert_ne!(
        big_site.compress(Encoding::Brotli, &text).unwrap(),
        small_site.compress(Encoding::Brotli, &text).unwrap()
    );
}
