//! Reading the index's records: body segments, sections, records, pooled strings, header
//! pairs and variants; the readers the public ones are made of.

use super::{Body, Pairs, Site, Store, Variant};
use crate::data::{self, Section};

impl Site {
    pub(super) fn segment(&self, k: usize) -> Option<&[u8]> {
        match &self.store {
            Store::Static { segments, .. } => segments.get(k).copied(),
            Store::Owned { data, .. } => data.segments.get(k).map(Vec::as_slice),
        }
    }

    pub(super) fn section(&self, s: Section) -> &[u8] {
        let (off, len) = self.sections[s as usize];
        self.index_bytes().get(off..off + len).unwrap_or(&[])
    }

    pub(super) fn count(&self, s: Section) -> usize {
        self.sections[s as usize].1 / data::RECORD_LEN[s as usize].max(1)
    }

    pub(super) fn record(&self, s: Section, k: u32) -> Option<&[u8]> {
        let len = data::RECORD_LEN[s as usize];
        let at = (k as usize).checked_mul(len)?;
        self.section(s).get(at..at + len)
    }

    pub(super) fn str_at(&self, rec: &[u8], at: usize) -> Option<&str> {
        data::pool_str(
            self.section(Section::Strings),
            data::u32_at(rec, at)?,
            data::u32_at(rec, at + 4)?,
        )
    }

    pub(super) fn pair(&self, k: u32) -> Option<(&str, &str)> {
        let rec = self.record(Section::Pairs, k)?;
        Some((self.str_at(rec, 0)?, self.str_at(rec, 8)?))
    }

    pub(super) fn pairs(&self, rec: &[u8], at: usize) -> Option<Pairs<'_>> {
        let (first, count) = (data::u32_at(rec, at)?, data::u32_at(rec, at + 4)?);
        let end = first.checked_add(count)?;
        (end as usize <= self.count(Section::Pairs)).then_some(Pairs {
            site: self,
            first,
            count,
        })
    }

    pub(super) fn variant(&self, k: u32) -> Option<Variant<'_>> {
        let rec = self.record(Section::Variants, k)?;
        let encoding = *data::ENCODINGS.get(rec[0] as usize)?;
        let fits = *data::FITS.get(rec[2] as usize)?;
        let body = match rec[3] {
            data::BODY_STORED => Body::Stored(data::u32_at(rec, 32)?),
            data::BODY_INFLATE => Body::Inflate(rec[4]),
            data::BODY_OFFLOADED => Body::Offloaded,
            _ => return None,
        };
        Some(Variant {
            encoding,
            etag: self.str_at(rec, 8)?,
            body,
            base64: rec[1] == 1,
            len: data::u64_at(rec, 16)?,
            json_len: data::u64_at(rec, 24)?,
            fits,
            object: if rec[5] == 1 {
                Some(self.str_at(rec, 36)?)
            } else {
                None
            },
        })
    }
}
