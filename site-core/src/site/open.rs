//! Opening a site: from the bytes embedded in a binary or made in memory, their header and
//! settings checked before anything is served; and the bytes handed back.

use std::sync::OnceLock;

use super::settings::read_settings;
use super::{FormatError, Site, SiteData, StaticSlots, Store};
use crate::data::{self, Section};

impl Site {
    /// The site embedded in a binary: opening it reads the header and the settings, nothing
    /// that grows with the number of files. `slots` has one entry per stored body.
    pub fn open_static(
        index: &'static [u8],
        segments: &'static [&'static [u8]],
        slots: &'static StaticSlots,
    ) -> Result<Site, FormatError> {
        Site::open(Store::Static {
            index,
            segments,
            slots,
        })
    }

    /// A site from bytes in memory, checked whole (every record, string and body).
    pub fn from_data(data: SiteData) -> Result<Site, FormatError> {
        // At most as many slots as the index could hold records for: a malformed length is
        // then refused by `open`, never allocated.
        let bodies = if data::header_ok(&data.index) {
            bodies_in(&data.index)?.min(data.index.len() / data::BODY_LEN)
        } else {
            0
        };
        let slots = (0..bodies).map(|_| OnceLock::new()).collect();
        let site = Site::open(Store::Owned { data, slots })?;
        site.verify()?;
        Ok(site)
    }

    fn open(store: Store) -> Result<Site, FormatError> {
        let bad = |m: &str| FormatError(m.to_string());
        let (index, segments, slots) = match &store {
            Store::Static {
                index,
                segments,
                slots,
            } => (*index, segments.len(), slots.len()),
            Store::Owned { data, slots } => (&data.index[..], data.segments.len(), slots.len()),
        };
        if index.len() < data::PREAMBLE_LEN || index[..8] != data::MAGIC {
            return Err(bad("it does not start with the site format's magic bytes"));
        }
        if !data::header_ok(index) {
            return Err(FormatError(format!(
                "it is format version {}, this server reads version {} (rebuild the binary)",
                data::u32_at(index, 8).unwrap_or(0),
                data::VERSION
            )));
        }
        let phf_key = data::u64_at(index, 16).ok_or_else(|| bad("short header"))?;
        let mut sections = [(0usize, 0usize); data::SECTIONS];
        for (k, s) in sections.iter_mut().enumerate() {
            let at = data::PREAMBLE_LEN + k * 8;
            let off = data::u32_at(index, at).ok_or_else(|| bad("short header"))? as usize;
            let len = data::u32_at(index, at + 4).ok_or_else(|| bad("short header"))? as usize;
            if off.checked_add(len).is_none_or(|end| end > index.len()) {
                return Err(FormatError(format!("section {k} lies outside the index")));
            }
            let rec = data::RECORD_LEN[k];
            if rec != 0 && !len.is_multiple_of(rec) {
                return Err(FormatError(format!(
                    "section {k} is not a whole number of records"
                )));
            }
            *s = (off, len);
        }
        let slice = |k: Section| {
            let (off, len) = sections[k as usize];
            &index[off..off + len]
        };
        let settings = read_settings(slice(Section::Settings), slice(Section::Strings))?;
        let bodies = sections[Section::Bodies as usize].1 / data::BODY_LEN;
        let files = sections[Section::Files as usize].1 / data::FILE_LEN;
        if settings.segments as usize != segments {
            return Err(FormatError(format!(
                "the index names {} body segments, {segments} are there",
                settings.segments
            )));
        }
        if slots != bodies {
            return Err(FormatError(format!(
                "the index has {bodies} bodies, {slots} slots are there"
            )));
        }
        if settings.index.is_some_and(|k| k as usize >= files) {
            return Err(bad("the index.html file is not in the file table"));
        }
        Ok(Site {
            store,
            sections,
            phf_key,
            options: settings.options,
            redirects: settings.redirects,
            header_rules: settings.header_rules,
            index: settings.index,
            site_bytes: settings.site_bytes,
            offloaded_files: settings.offloaded_files,
        })
    }
    /// The bytes of a site made in memory (None for an embedded one).
    pub fn into_data(self) -> Option<SiteData> {
        match self.store {
            Store::Owned { data, .. } => Some(data),
            Store::Static { .. } => None,
        }
    }

    /// The index's bytes.
    pub fn index_bytes(&self) -> &[u8] {
        match &self.store {
            Store::Static { index, .. } => index,
            Store::Owned { data, .. } => &data.index,
        }
    }

    /// The body segments' bytes.
    pub fn segments(&self) -> Vec<&[u8]> {
        match &self.store {
            Store::Static { segments, .. } => segments.to_vec(),
            Store::Owned { data, .. } => data.segments.iter().map(Vec::as_slice).collect(),
        }
    }
}

/// The number of bodies an index names (for the slots of a site in memory).
fn bodies_in(index: &[u8]) -> Result<usize, FormatError> {
    let at = data::PREAMBLE_LEN + Section::Bodies as usize * 8 + 4;
    data::u32_at(index, at)
        .map(|len| len as usize / data::BODY_LEN)
        .ok_or_else(|| FormatError("it is shorter than the site format's header".into()))
}
