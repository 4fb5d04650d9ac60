//! Makes each file's variants (identity, gzip, brotli), and caches them in OUT_DIR by content
//! hash so a rebuild only re-encodes files that changed. Each is kept twice: raw (what S3 keeps
//! for a file too large for the package, and what a deploy uploads) and as the JSON string
//! literal a response copies (text escaped, anything else base64).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::compress;
use crate::site::Encoding;

/// A variant's bytes in the blob cache.
#[derive(Debug, Clone)]
pub struct Source {
    /// The blob file: the variant's bytes, raw.
    pub path: PathBuf,
    /// The same bytes as a JSON string literal, quotes included: what the package embeds.
    pub literal: PathBuf,
    /// Whether the literal holds base64 rather than the text itself.
    pub base64: bool,
}

/// One encoded form of a file.
#[derive(Debug, Clone)]
pub struct Encoded {
    pub encoding: Encoding,
    /// Quoted strong ETag.
    pub etag: String,
    pub source: Source,
    /// Bytes the client receives.
    pub len: u64,
    /// Length of the body as a JSON string literal, quotes included.
    pub json_len: u64,
    /// Hex SHA-256 of the variant's bytes (names its S3 object when offloaded).
    pub sha256: String,
}

/// Options that change the encoded bytes; part of the cache key.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    pub gzip: bool,
    pub brotli: bool,
    pub max_ratio: f64,
    /// The site's compression settings (level, quality and window by file).
    pub compression: compress::Settings,
}

/// Hex SHA-256 of the bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn etag_of(bytes: &[u8]) -> String {
    format!("\"{}\"", &sha256_hex(bytes)[..24])
}

/// Encodes one file. `text` says whether its type is textual; `compressible` whether to try
/// gzip and brotli.
pub fn encode_file(
    bytes: &[u8],
    text: bool,
    compressible: bool,
    options: &Options,
    cache: &Path,
) -> std::io::Result<Vec<Encoded>> {
    let hash = sha256_hex(bytes);
    let mut out = Vec::new();
    let blob = cache.join(format!("{hash}.id"));
    write_blob(&blob, || Ok(bytes.to_vec()))?;
    let base64 = !(text && std::str::from_utf8(bytes).is_ok());
    let (literal, json_len) = write_literal(&blob, || Ok(bytes.to_vec()), base64)?;
    let identity_source = Encoded {
        encoding: Encoding::Identity,
        etag: etag_of(bytes),
        source: Source {
            path: blob,
            literal,
            base64,
        },
        len: bytes.len() as u64,
        json_len,
        sha256: hash.clone(),
    };
    out.push(identity_source);
    if compressible && !bytes.is_empty() {
        let limit = (bytes.len() as f64 * options.max_ratio) as u64;
        if options.gzip {
            if let Some(v) = cached_variant(cache, &hash, Encoding::Gzip, options, bytes, limit)? {
                out.push(v);
            }
        }
        if options.brotli {
            if let Some(v) = cached_variant(cache, &hash, Encoding::Brotli, options, bytes, limit)?
            {
                out.push(v);
            }
        }
    }
    Ok(out)
}

/// Looks the compressed variant up in the cache, or makes it. The metadata file records either
/// `keep <len> <etag> <sha256>` or `drop`, so a file not worth compressing is not compressed again.
fn cached_variant(
    cache: &Path,
    hash: &str,
    encoding: Encoding,
    options: &Options,
    bytes: &[u8],
    limit: u64,
) -> std::io::Result<Option<Encoded>> {
    let tag = options.compression.tag(encoding, bytes.len() as u64);
    let meta = cache.join(format!("{hash}.{tag}.meta"));
    let blob = cache.join(format!("{hash}.{tag}"));
    let found = |len: u64, etag: &str, sha256: &str| -> std::io::Result<Encoded> {
        let (literal, json_len) = write_literal(&blob, || fs::read(&blob), true)?;
        Ok(Encoded {
            encoding,
            etag: etag.to_string(),
            source: Source {
                path: blob.clone(),
                literal,
                base64: true,
            },
            len,
            json_len,
            sha256: sha256.to_string(),
        })
    };
    if let Ok(text) = fs::read_to_string(&meta) {
        let mut parts = text.split_whitespace();
        match (parts.next(), parts.next(), parts.next(), parts.next()) {
            (Some("drop"), ..) => return Ok(None),
            (Some("keep"), Some(len), Some(etag), Some(sha256)) if blob.exists() => {
                if let Ok(len) = len.parse::<u64>() {
                    return (len <= limit).then(|| found(len, etag, sha256)).transpose();
                }
            }
            _ => {}
        }
    }
    let compressed = options.compression.compress(encoding, bytes)?;
    let len = compressed.len() as u64;
    // The cache records the size so a later build with another max_ratio decides again.
    let etag = etag_of(&compressed);
    let sha256 = sha256_hex(&compressed);
    write_blob(&blob, || Ok(compressed))?;
    write_atomic(&meta, format!("keep {len} {etag} {sha256}").as_bytes())?;
    (len <= limit)
        .then(|| found(len, &etag, &sha256))
        .transpose()
}

/// Writes the JSON literal of a blob's bytes beside it (`<blob>.json`) unless the cache has it;
/// returns its path and length. The bytes are asked for only when the literal must be written
/// (a warm cache then costs one `stat`, not a read of the blob).
fn write_literal(
    blob: &Path,
    bytes: impl FnOnce() -> std::io::Result<Vec<u8>>,
    base64: bool,
) -> std::io::Result<(PathBuf, u64)> {
    let mut name = blob.as_os_str().to_owned();
    name.push(".json");
    let literal = PathBuf::from(name);
    if let Ok(m) = fs::metadata(&literal) {
        return Ok((literal, m.len()));
    }
    let bytes = &bytes()?;
    let text = if base64 {
        use base64::Engine;
        format!(
            "\"{}\"",
            base64::engine::general_purpose::STANDARD.encode(bytes)
        )
    } else {
        let s = std::str::from_utf8(bytes).map_err(std::io::Error::other)?;
        serde_json::to_string(s).map_err(std::io::Error::other)?
    };
    write_atomic(&literal, text.as_bytes())?;
    Ok((literal, text.len() as u64))
}

/// Writes a blob unless the cache already has it (blobs are named by content hash).
fn write_blob(path: &Path, make: impl FnOnce() -> std::io::Result<Vec<u8>>) -> std::io::Result<()> {
    if fs::metadata(path).is_ok() {
        return Ok(());
    }
    write_atomic(path, &make()?)
}

/// Writes through a temporary file and a rename, so an interrupted build never leaves a torn blob.
/// The temporary file is this write's own (process and a counter): identical files are encoded
/// to the same entry on several cores at once, and two writers sharing one temporary file lost
/// it to each other's rename.
fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
    }
    fs::rename(&tmp, path)
}

pub use crate::rules::apply::json_string_len;

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("encode-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn the_same_blob_written_by_many_threads_at_once_is_written_whole() {
        // Identical files encode to the same cache entry, and the planner encodes on every
        // core: two writers of one blob must not share a temporary file.
        let dir = scratch("concurrent");
        let path = dir.join("blob");
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..200 {
                        write_atomic(&path, b"the same bytes").unwrap();
                    }
                });
            }
        });
        assert_eq!(fs::read(&path).unwrap(), b"the same bytes");
        let _ = fs::remove_dir_all(&dir);
    }

    const ALL: Options = Options {
        gzip: true,
        brotli: true,
        max_ratio: 0.95,
        compression: compress::Policy::DEFAULT.for_site(0),
    };

    #[test]
    fn compressible_text_gets_identity_gzip_and_brotli_each_with_its_own_etag() {
        let dir = scratch("variants");
        let text = "hello, world. ".repeat(200);
        let v = encode_file(text.as_bytes(), true, true, &ALL, &dir).unwrap();
        let encodings: Vec<Encoding> = v.iter().map(|e| e.encoding).collect();
        assert_eq!(
            encodings,
            [Encoding::Identity, Encoding::Gzip, Encoding::Brotli]
        );
        assert_eq!(v[0].len, text.len() as u64);
        assert!(!v[0].source.base64 && v[1].source.base64);
        assert!(v[1].etag != v[0].etag && v[2].etag != v[1].etag);
        assert_eq!(fs::read_to_string(&v[0].source.path).unwrap(), text);
        assert_eq!(
            v[0].json_len,
            serde_json::to_string(&text).unwrap().len() as u64
        );
        for e in &v[1..] {
            let bytes = fs::read(&e.source.path).unwrap();
            assert_eq!(
                (bytes.len() as u64, sha256_hex(&bytes)),
                (e.len, e.sha256.clone())
            );
            assert_eq!(e.json_len, e.len.div_ceil(3) * 4 + 2, "quoted base64");
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_variant_not_small_enough_is_dropped_and_binary_identity_is_base64() {
        let dir = scratch("drop");
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let noise: Vec<u8> = (0..4000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let v = encode_file(&noise, false, true, &ALL, &dir).unwrap();
        assert_eq!(v.len(), 1, "random bytes do not compress to 95 %");
        assert!(v[0].source.base64);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_cache_answers_a_second_encode_without_compressing_again() {
        let dir = scratch("cache");
        let text = "cache me ".repeat(500);
        let first = encode_file(text.as_bytes(), true, true, &ALL, &dir).unwrap();
        let metas: Vec<PathBuf> = fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "meta"))
            .collect();
        assert_eq!(metas.len(), 2, "one record per compressed encoding");
        let second = encode_file(text.as_bytes(), true, true, &ALL, &dir).unwrap();
        let key = |v: &[Encoded]| -> Vec<(Encoding, String, u64, u64)> {
            v.iter()
                .map(|e| (e.encoding, e.etag.clone(), e.len, e.json_len))
                .collect()
        };
        assert_eq!(key(&first), key(&second));
        // The records are what a second run reads: told "drop", it does not compress again.
        for meta in &metas {
            fs::write(meta, "drop").unwrap();
        }
        assert_eq!(
            encode_file(text.as_bytes(), true, true, &ALL, &dir)
                .unwrap()
                .len(),
            1
        );
        for meta in &metas {
            fs::remove_file(meta).unwrap();
        }
        // A stricter ratio keeps no compressed variant.
        let strict = Options {
            max_ratio: 0.0001,
            ..ALL
        };
        assert_eq!(
            encode_file(text.as_bytes(), true, true, &strict, &dir)
                .unwrap()
                .len(),
            1
        );
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn json_string_len_matches_serde_json() {
        for s in [
            "",
            "plain",
            "quote\" back\\slash",
            "ctl\u{1}\n\t\r",
            "é ünï",
        ] {
            assert_eq!(
                json_string_len(s),
                serde_json::to_string(s).unwrap().len() as u64,
                "{s:?}"
            );
        }
    }
}
