//! A variant's bytes at run time, for what cannot copy its stored literal: a byte range, and
//! the identity the package leaves out, inflated from the file's gzip variant.

use std::io::Read;

use crate::site::{body_bytes, Body, File, Site, Variant};

/// The variant's bytes, or None when they are not in the package (stored in S3) or a stored
/// body does not decode to the size the build recorded (never the case for a table the build
/// wrote; checked so that a corrupt one gives an error page rather than wrong bytes).
pub fn bytes(site: &Site, file: File<'_>, variant: Variant<'_>) -> Option<Vec<u8>> {
    let bytes = match variant.body {
        Body::Stored(_) => body_bytes(site, &variant)?,
        Body::Inflate(from) => {
            let gz = body_bytes(site, &file.variants.get(from as usize)?)?;
            let mut out = Vec::with_capacity(usize::try_from(variant.len).ok()?);
            flate2::read::GzDecoder::new(&gz[..])
                .take(variant.len + 1)
                .read_to_end(&mut out)
                .ok()?;
            out
        }
        Body::Offloaded => return None,
    };
    (bytes.len() as u64 == variant.len).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use site_core::plan::memory::from_files;
    use site_core::site::Encoding;

    #[test]
    fn the_identity_of_compressed_text_is_inflated_from_gzip_byte_for_byte() {
        let css = "body { color: red }\n".repeat(300);
        let site = from_files(&[("a.css", css.as_bytes())], "").unwrap();
        let file = site.file(0);
        assert!(matches!(file.identity().body, Body::Inflate(_)));
        assert_eq!(bytes(&site, file, file.identity()).unwrap(), css.as_bytes());
    }

    #[test]
    fn an_incompressible_file_keeps_its_identity_bytes() {
        let mut x = 7u32;
        let noise: Vec<u8> = (0..3000)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
                (x >> 16) as u8
            })
            .collect();
        let site = from_files(&[("n.bin", &noise)], "").unwrap();
        let file = site.file(0);
        assert_eq!(file.variants.len(), 1);
        assert_eq!(file.identity().encoding, Encoding::Identity);
        assert_eq!(bytes(&site, file, file.identity()).unwrap(), noise);
    }
}
