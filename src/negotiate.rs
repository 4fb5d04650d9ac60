//! Accept-Encoding (RFC 9110 §12.5.3) with q-values: picks the variant to send.

use crate::site::{Encoding, Variant};

/// A q-value in thousandths, so comparisons need no floats.
type Q = u16;

/// The client's weight for `encoding`: an explicit entry, else `*`, else (identity only) 1.
fn weight(header: Option<&str>, encoding: Encoding) -> Q {
    let Some(header) = header else {
        // No Accept-Encoding: any coding is acceptable (RFC 9110), but a client that says
        // nothing may not decode anything either, so prefer identity.
        return if encoding == Encoding::Identity {
            1000
        } else {
            0
        };
    };
    let mut star = None;
    for item in header.split(',') {
        let mut parts = item.split(';');
        let coding = parts.next().unwrap_or("").trim();
        if coding.is_empty() {
            continue;
        }
        let mut q = 1000;
        for param in parts {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = parse_q(v.trim());
                }
            }
        }
        let matches = coding.eq_ignore_ascii_case(encoding.token())
            || (encoding == Encoding::Gzip && coding.eq_ignore_ascii_case("x-gzip"));
        if matches {
            return q;
        }
        if coding == "*" {
            star = Some(q);
        }
    }
    match (star, encoding) {
        (Some(q), _) => q,
        // Identity stays acceptable unless refused (RFC 9110 §12.5.3), but a client that named
        // codings prefers them: give it the lowest positive weight.
        (None, Encoding::Identity) => 1,
        (None, _) => 0,
    }
}

/// Whether the client accepts `encoding` at all (a q-value above 0).
pub fn accepts(accept_encoding: Option<&str>, encoding: Encoding) -> bool {
    weight(accept_encoding, encoding) > 0
}

/// Parses a qvalue ("0", "0.5", "1.000"); anything malformed counts as 0 (not acceptable).
fn parse_q(v: &str) -> Q {
    let (int, frac) = v.split_once('.').unwrap_or((v, ""));
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    match int {
        "1" if frac.bytes().all(|b| b == b'0') => 1000,
        "0" => {
            let mut n: Q = 0;
            for (i, b) in frac.bytes().enumerate() {
                n += Q::from(b - b'0') * [100, 10, 1][i];
            }
            n
        }
        _ => 0,
    }
}

/// What negotiation decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Choice<'s> {
    /// Send this variant.
    Variant(Variant<'s>),
    /// The client refuses every encoding this file has (406).
    NotAcceptable,
    /// The client accepts only encodings too large for one ALB response (406, with a hint).
    TooLarge,
}

/// Picks the acceptable variant with the highest q-value, then the smallest size; only variants
/// whose response fits ALB's limit (`fits`: with the headers it goes out with) are candidates.
pub fn choose_fitting<'s>(
    variants: impl IntoIterator<Item = Variant<'s>>,
    accept_encoding: Option<&str>,
    fits: impl Fn(&Variant<'_>) -> bool,
) -> Choice<'s> {
    let mut best: Option<(Variant<'s>, Q)> = None;
    let mut acceptable_but_large = false;
    for v in variants {
        let q = weight(accept_encoding, v.encoding);
        if q == 0 {
            continue;
        }
        if !fits(&v) {
            acceptable_but_large = true;
            continue;
        }
        let better = match best {
            None => true,
            Some((b, bq)) => q > bq || (q == bq && v.len < b.len),
        };
        if better {
            best = Some((v, q));
        }
    }
    match best {
        Some((v, _)) => Choice::Variant(v),
        None if acceptable_but_large => Choice::TooLarge,
        None => Choice::NotAcceptable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choose<'s>(variants: &[Variant<'s>], accept_encoding: Option<&str>) -> Choice<'s> {
        choose_fitting(variants.iter().copied(), accept_encoding, |v| {
            v.fits.within(site_core::limits::ResponseLimit::Alb)
        })
    }
    use crate::site::{Body, Fits};

    static V: [Variant<'static>; 3] = [
        Variant {
            encoding: Encoding::Identity,
            etag: "\"i\"",
            body: Body::Stored(0),
            base64: false,
            len: 1000,
            json_len: 1002,
            fits: Fits::Everywhere,
            object: None,
        },
        Variant {
            encoding: Encoding::Gzip,
            etag: "\"g\"",
            body: Body::Stored(0),
            base64: true,
            len: 300,
            json_len: 302,
            fits: Fits::Everywhere,
            object: None,
        },
        Variant {
            encoding: Encoding::Brotli,
            etag: "\"b\"",
            body: Body::Stored(0),
            base64: true,
            len: 250,
            json_len: 252,
            fits: Fits::Everywhere,
            object: None,
        },
    ];

    fn pick(h: Option<&str>) -> Option<Encoding> {
        match choose(&V, h) {
            Choice::Variant(v) => Some(v.encoding),
            _ => None,
        }
    }

    #[test]
    fn no_header_gets_identity() {
        assert_eq!(pick(None), Some(Encoding::Identity));
    }

    #[test]
    fn smallest_acceptable_wins_on_equal_q() {
        assert_eq!(pick(Some("gzip, deflate, br")), Some(Encoding::Brotli));
        assert_eq!(pick(Some("gzip")), Some(Encoding::Gzip));
    }

    #[test]
    fn higher_q_beats_smaller_size() {
        assert_eq!(pick(Some("br;q=0.5, gzip;q=0.9")), Some(Encoding::Gzip));
    }

    #[test]
    fn q_zero_refuses_a_coding() {
        assert_eq!(pick(Some("gzip;q=0")), Some(Encoding::Identity));
        assert_eq!(pick(Some("br;q=0, gzip")), Some(Encoding::Gzip));
    }

    #[test]
    fn star_covers_unlisted_codings() {
        assert_eq!(pick(Some("*")), Some(Encoding::Brotli));
        assert_eq!(pick(Some("br;q=0, *;q=0.5")), Some(Encoding::Gzip));
    }

    #[test]
    fn identity_refused_and_nothing_else_is_not_acceptable() {
        assert_eq!(choose(&V[..1], Some("identity;q=0")), Choice::NotAcceptable);
        assert_eq!(choose(&V[..1], Some("*;q=0")), Choice::NotAcceptable);
        assert_eq!(pick(Some("identity;q=0, gzip")), Some(Encoding::Gzip));
    }

    #[test]
    fn case_and_spaces_do_not_matter() {
        assert_eq!(pick(Some(" GZIP ; Q=1 ")), Some(Encoding::Gzip));
        assert_eq!(pick(Some("x-gzip")), Some(Encoding::Gzip));
    }

    #[test]
    fn malformed_q_counts_as_refusal() {
        assert_eq!(parse_q("0.5"), 500);
        assert_eq!(parse_q("1"), 1000);
        assert_eq!(parse_q("1.5"), 0);
        assert_eq!(parse_q("0.1234"), 0);
        assert_eq!(parse_q("abc"), 0);
    }

    #[test]
    fn variant_too_large_is_never_chosen() {
        static BIG: [Variant<'static>; 2] = [
            Variant {
                encoding: Encoding::Identity,
                etag: "\"i\"",
                body: Body::Stored(0),
                base64: false,
                len: 2_000_000,
                json_len: 2_000_000,
                fits: Fits::Nowhere,
                object: None,
            },
            Variant {
                encoding: Encoding::Gzip,
                etag: "\"g\"",
                body: Body::Stored(0),
                base64: true,
                len: 300_000,
                json_len: 300_000,
                fits: Fits::Everywhere,
                object: None,
            },
        ];
        assert!(
            matches!(choose(&BIG, Some("gzip")), Choice::Variant(v) if v.encoding == Encoding::Gzip)
        );
        assert_eq!(choose(&BIG, None), Choice::TooLarge);
    }
}
