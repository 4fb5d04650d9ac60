//! A variant's bytes at run time: borrowed from the package, or, for an identity the package
//! leaves out, inflated from the file's gzip variant.

use std::borrow::Cow;
use std::io::Read;

use crate::site::{Body, File, Variant};

/// The variant's bytes, or None when they are not in the package (stored in S3) or the stored
/// gzip does not inflate to the size the build recorded (never the case for a table the build
/// wrote; checked so that a corrupt one gives an error page rather than wrong bytes).
pub fn bytes<'s>(file: &'s File, variant: &'s Variant) -> Option<Cow<'s, [u8]>> {
    match &variant.body {
        Body::Bytes(b) => Some(Cow::Borrowed(b.as_ref())),
        Body::Inflate(from) => {
            let Body::Bytes(gz) = &file.variants.get(*from as usize)?.body else {
                return None;
            };
            let want = usize::try_from(variant.len).ok()?;
            let mut out = Vec::with_capacity(want);
            flate2::read::GzDecoder::new(gz.as_ref())
                .take(variant.len + 1)
                .read_to_end(&mut out)
                .ok()?;
            (out.len() == want).then_some(Cow::Owned(out))
        }
        Body::Offloaded(_) => None,
    }
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
        let file = &site.files[0];
        assert!(matches!(file.identity().body, Body::Inflate(_)));
        assert_eq!(
            bytes(file, file.identity()).unwrap().as_ref(),
            css.as_bytes()
        );
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
        let file = &site.files[0];
        assert_eq!(file.variants.len(), 1);
        assert_eq!(file.identity().encoding, Encoding::Identity);
        assert_eq!(bytes(file, file.identity()).unwrap().as_ref(), &noise[..]);
    }
}
