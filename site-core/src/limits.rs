//! The front doors' size limits, defined once.

/// ALB rejects (with a 502) a Lambda response whose JSON is over 1 MB; staying under 10^6
/// bytes is safe whichever "MB" it means.
pub const ALB_RESPONSE_LIMIT: u64 = 1_000_000;

/// What Lambda itself refuses in a synchronous response: 6 MB, which caps every front door
/// other than ALB (Function URLs, API Gateway, VPC Lattice). Lambda's error names 6,291,556
/// bytes; staying under 6*10^6 keeps over 290 KB to spare for the small differences between the
/// doors' response shapes (`multiValueHeaders` arrays, `statusDescription`).
pub const LAMBDA_RESPONSE_LIMIT: u64 = 6_000_000;

/// The limit a front door holds a whole response (as JSON) to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ResponseLimit {
    /// An ALB's: 1 MB.
    Alb,
    /// Lambda's own, for every other door: 6 MB.
    Lambda,
}

impl ResponseLimit {
    /// The most bytes a response may have as JSON, with the safety margins above.
    pub const fn bytes(self) -> u64 {
        match self {
            ResponseLimit::Alb => ALB_RESPONSE_LIMIT,
            ResponseLimit::Lambda => LAMBDA_RESPONSE_LIMIT,
        }
    }

    /// Whether a full response with a body of `json_len` bytes (as a JSON literal) and a header
    /// block of `headers_json` bytes (as JSON) stays under this limit, with room to spare.
    pub const fn holds(self, headers_json: u64, json_len: u64) -> bool {
        headers_json + json_len + RESPONSE_MARGIN <= self.bytes()
    }

    /// The most bytes one 206 may carry when the file's largest header block, as JSON, is
    /// `headers_json` bytes: the base64 body, those headers and the margin stay under the limit.
    pub const fn max_range(self, headers_json: u64) -> u64 {
        let room = self.bytes().saturating_sub(RESPONSE_MARGIN + headers_json);
        let fits = room / 4 * 3;
        let cap = (self.bytes() - RANGE_HEADROOM) / 4 * 3;
        if fits < cap {
            fits
        } else {
            cap
        }
    }
}

/// The smallest limit a full response with one variant stays under, decided at build time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fits {
    /// Under ALB's 1 MB, so under every door's limit.
    Everywhere,
    /// Over ALB's limit, under Lambda's 6 MB: served whole by every door but an ALB.
    LambdaOnly,
    /// Over every door's limit.
    Nowhere,
}

impl Fits {
    /// For a body of `json_len` bytes as JSON going out with `headers_json` bytes of headers.
    pub const fn of(headers_json: u64, json_len: u64) -> Fits {
        if ResponseLimit::Alb.holds(headers_json, json_len) {
            Fits::Everywhere
        } else if ResponseLimit::Lambda.holds(headers_json, json_len) {
            Fits::LambdaOnly
        } else {
            Fits::Nowhere
        }
    }

    /// Whether a full response stays under `limit`.
    pub const fn within(self, limit: ResponseLimit) -> bool {
        match self {
            Fits::Everywhere => true,
            Fits::LambdaOnly => matches!(limit, ResponseLimit::Lambda),
            Fits::Nowhere => false,
        }
    }
}

/// Room kept free in a full response for the headers added per request (Content-Range, HSTS,
/// Vary...) and a safety margin.
pub const RESPONSE_MARGIN: u64 = 2_048;

/// ALB refuses (502) a response whose header block (`Name: value` lines) passes 32 KB.
pub const ALB_HEADER_BLOCK_LIMIT: u64 = 32 * 1024;

/// The longest `Location` a redirect may carry. ALB refuses (502) a response whose header block
/// passes 32 KB, and it refuses request lines over 16 KB, so no client can have sent a URL that
/// needs more: a redirect that would is answered 414 instead.
pub const MAX_LOCATION: usize = 16 * 1024;

/// Room kept free in a 206 for its status line, headers and the JSON around the body.
pub const RANGE_HEADROOM: u64 = 40_000;

/// The most bytes one 206 carries through an ALB: sent as base64 (4 characters per 3 bytes)
/// it still fits. A file whose own headers are large gets less ([`ResponseLimit::max_range`]),
/// and the other doors more.
pub const MAX_RANGE: u64 = (ALB_RESPONSE_LIMIT - RANGE_HEADROOM) / 4 * 3;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_range_in_base64_with_its_headroom_fits_one_response() {
        assert_eq!(MAX_RANGE, 720_000);
        assert!(MAX_RANGE.div_ceil(3) * 4 + RANGE_HEADROOM <= ALB_RESPONSE_LIMIT);
    }

    #[test]
    fn large_headers_shorten_the_range_so_the_response_still_fits() {
        for limit in [ResponseLimit::Alb, ResponseLimit::Lambda] {
            let cap = limit.max_range(500);
            for headers in [40_000, 60_000, 200_000] {
                let range = limit.max_range(headers);
                assert!(range < cap, "{limit:?}");
                assert!(range.div_ceil(3) * 4 + headers + RESPONSE_MARGIN <= limit.bytes());
            }
        }
    }

    #[test]
    fn an_alb_range_is_the_usual_cap_and_other_doors_carry_six_times_more() {
        assert_eq!(ResponseLimit::Alb.max_range(500), MAX_RANGE);
        assert_eq!(ResponseLimit::Lambda.max_range(500), 4_470_000);
    }

    #[test]
    fn a_body_over_one_megabyte_fits_only_the_doors_with_lambdas_limit() {
        assert_eq!(Fits::of(1_000, 900_000), Fits::Everywhere);
        let three_mb = Fits::of(1_000, 3_000_000);
        assert_eq!(three_mb, Fits::LambdaOnly);
        assert!(!three_mb.within(ResponseLimit::Alb));
        assert!(three_mb.within(ResponseLimit::Lambda));
        assert_eq!(Fits::of(1_000, 6_000_000), Fits::Nowhere);
        assert!(!Fits::Nowhere.within(ResponseLimit::Lambda));
    }
}
