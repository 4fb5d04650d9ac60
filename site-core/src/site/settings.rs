//! The settings section decoded: the run-time options, the `_redirects` and `_headers` rules,
//! and the figures the index records about itself (index.html, site bytes, files in S3,
//! segments).

use std::borrow::Cow;

use super::{
    AccessRule, Action, Auth, FormatError, HeaderOp, HeaderRule, Options, Redirect, Status, Text,
};
use crate::data;

/// The settings section, decoded.
pub(super) struct Settings {
    pub(super) options: Options,
    pub(super) redirects: Vec<Redirect>,
    pub(super) header_rules: Vec<HeaderRule>,
    pub(super) index: Option<u32>,
    pub(super) site_bytes: u64,
    pub(super) offloaded_files: u32,
    pub(super) segments: u32,
}

/// Decodes the settings section (strings from `pool`).
pub(super) fn read_settings(bytes: &[u8], pool: &[u8]) -> Result<Settings, FormatError> {
    let mut c = data::Cursor {
        bytes,
        pos: 0,
        pool,
    };
    let text = |s: &str| -> Text { Cow::Owned(s.to_string()) };
    let texts =
        |v: Vec<&str>| -> Cow<'static, [Text]> { Cow::Owned(v.into_iter().map(text).collect()) };
    let status = |code: u32| {
        u16::try_from(code)
            .ok()
            .and_then(Status::redirect)
            .ok_or_else(|| FormatError(format!("{code} is not a redirect status")))
    };
    let health_path = text(c.str()?);
    let mount = text(c.str()?);
    let spa_fallback = c.bool()?;
    let redirect_status = status(c.u32()?)?;
    let hsts = c.opt_str()?.map(text);
    let n = c.u32()?;
    let mut default_headers = Vec::new();
    for _ in 0..n {
        default_headers.push((text(c.str()?), text(c.str()?)));
    }
    let error_cache_control = text(c.str()?);
    let presign_seconds = c.u32()?;
    let auth = if c.bool()? {
        let signers = texts(c.strs()?);
        let key_url = text(c.str()?);
        let public = texts(c.strs()?);
        let n = c.u32()?;
        let mut rules = Vec::new();
        for _ in 0..n {
            rules.push(AccessRule {
                path: text(c.str()?),
                emails: texts(c.strs()?),
                email_domains: texts(c.strs()?),
                groups: texts(c.strs()?),
                groups_claim: text(c.str()?),
            });
        }
        Some(Auth {
            signers,
            key_url,
            public,
            rules: Cow::Owned(rules),
            logout_path: c.opt_str()?.map(text),
            logout_redirect: text(c.str()?),
        })
    } else {
        None
    };
    let n = c.u32()?;
    let mut redirects = Vec::new();
    for _ in 0..n {
        let from = text(c.str()?);
        let to = text(c.str()?);
        let action = match (c.u8()?, c.u32()?) {
            (0, code) => Action::Redirect(status(code)?),
            (1, _) => Action::Rewrite,
            (2, _) => Action::RewriteNotFound,
            (k, _) => return Err(FormatError(format!("unknown rule action {k}"))),
        };
        redirects.push(Redirect {
            from,
            to,
            action,
            force: c.bool()?,
        });
    }
    let n = c.u32()?;
    let mut header_rules = Vec::new();
    for _ in 0..n {
        let pattern = text(c.str()?);
        let line = c.u64()? as usize;
        let ops = (0..c.u32()?)
            .map(|_| match c.u8()? {
                0 => Ok(HeaderOp::Set(text(c.str()?), text(c.str()?))),
                1 => Ok(HeaderOp::Detach(text(c.str()?))),
                k => Err(FormatError(format!("unknown header operation {k}"))),
            })
            .collect::<Result<Vec<_>, _>>()?;
        header_rules.push(HeaderRule {
            pattern,
            line,
            ops: Cow::Owned(ops),
        });
    }
    let index = if c.bool()? { Some(c.u32()?) } else { None };
    let settings = Settings {
        options: Options {
            health_path,
            mount,
            spa_fallback,
            redirect_status,
            hsts,
            default_headers: Cow::Owned(default_headers),
            error_cache_control,
            auth,
            presign_seconds,
        },
        redirects,
        header_rules,
        index,
        site_bytes: c.u64()?,
        offloaded_files: c.u32()?,
        segments: c.u32()?,
    };
    if c.pos != c.bytes.len() {
        return Err(FormatError(
            "the settings section has bytes left over".into(),
        ));
    }
    Ok(settings)
}
