//! The HTTP statuses this server answers with: an exhaustive type, so a new one cannot be
//! sent without its reason phrase.

/// A response status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    Ok,
    NoContent,
    PartialContent,
    MovedPermanently,
    Found,
    SeeOther,
    NotModified,
    TemporaryRedirect,
    PermanentRedirect,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    NotAcceptable,
    PreconditionFailed,
    UriTooLong,
    RangeNotSatisfiable,
    ServiceUnavailable,
}

impl Status {
    pub const fn code(self) -> u16 {
        match self {
            Status::Ok => 200,
            Status::NoContent => 204,
            Status::PartialContent => 206,
            Status::MovedPermanently => 301,
            Status::Found => 302,
            Status::SeeOther => 303,
            Status::NotModified => 304,
            Status::TemporaryRedirect => 307,
            Status::PermanentRedirect => 308,
            Status::BadRequest => 400,
            Status::Unauthorized => 401,
            Status::Forbidden => 403,
            Status::NotFound => 404,
            Status::MethodNotAllowed => 405,
            Status::NotAcceptable => 406,
            Status::PreconditionFailed => 412,
            Status::UriTooLong => 414,
            Status::RangeNotSatisfiable => 416,
            Status::ServiceUnavailable => 503,
        }
    }

    /// `statusDescription` as ALB expects it: the code and its reason phrase, `"200 OK"`.
    pub const fn line(self) -> &'static str {
        match self {
            Status::Ok => "200 OK",
            Status::NoContent => "204 No Content",
            Status::PartialContent => "206 Partial Content",
            Status::MovedPermanently => "301 Moved Permanently",
            Status::Found => "302 Found",
            Status::SeeOther => "303 See Other",
            Status::NotModified => "304 Not Modified",
            Status::TemporaryRedirect => "307 Temporary Redirect",
            Status::PermanentRedirect => "308 Permanent Redirect",
            Status::BadRequest => "400 Bad Request",
            Status::Unauthorized => "401 Unauthorized",
            Status::Forbidden => "403 Forbidden",
            Status::NotFound => "404 Not Found",
            Status::MethodNotAllowed => "405 Method Not Allowed",
            Status::NotAcceptable => "406 Not Acceptable",
            Status::PreconditionFailed => "412 Precondition Failed",
            Status::UriTooLong => "414 URI Too Long",
            Status::RangeNotSatisfiable => "416 Range Not Satisfiable",
            Status::ServiceUnavailable => "503 Service Unavailable",
        }
    }

    /// A redirect status as written in `_redirects` or `site.toml`.
    pub const fn redirect(code: u16) -> Option<Status> {
        match code {
            301 => Some(Status::MovedPermanently),
            302 => Some(Status::Found),
            303 => Some(Status::SeeOther),
            307 => Some(Status::TemporaryRedirect),
            308 => Some(Status::PermanentRedirect),
            _ => None,
        }
    }

    /// The variant's name, for generated code.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "Ok",
            Status::NoContent => "NoContent",
            Status::PartialContent => "PartialContent",
            Status::MovedPermanently => "MovedPermanently",
            Status::Found => "Found",
            Status::SeeOther => "SeeOther",
            Status::NotModified => "NotModified",
            Status::TemporaryRedirect => "TemporaryRedirect",
            Status::PermanentRedirect => "PermanentRedirect",
            Status::BadRequest => "BadRequest",
            Status::Unauthorized => "Unauthorized",
            Status::Forbidden => "Forbidden",
            Status::NotFound => "NotFound",
            Status::MethodNotAllowed => "MethodNotAllowed",
            Status::NotAcceptable => "NotAcceptable",
            Status::PreconditionFailed => "PreconditionFailed",
            Status::UriTooLong => "UriTooLong",
            Status::RangeNotSatisfiable => "RangeNotSatisfiable",
            Status::ServiceUnavailable => "ServiceUnavailable",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_starts_with_its_code() {
        for code in [301, 302, 303, 307, 308] {
            let s = Status::redirect(code).unwrap();
            assert_eq!(s.code(), code);
            assert!(s.line().starts_with(&code.to_string()));
        }
        assert_eq!(Status::redirect(200), None);
        assert_eq!(Status::NotAcceptable.line(), "406 Not Acceptable");
    }
}
