//! The access log: one line per request, on stdout (CloudWatch Logs under Lambda).
//!
//! JSON by default, so CloudWatch Logs Insights queries the fields without parsing: an object
//! with `level`, `fields` (the request: method, path, query, status, bytes, encoding, micros,
//! host, user agent, client IP, ALB's trace id, and on a private site the user or the refusal)
//! and `span` (`requestId`, `xrayTraceId`), the shape `lambda_runtime`'s default subscriber wrote
//! before this project had its own Runtime API client. `AWS_LAMBDA_LOG_FORMAT=Text` gives a text
//! line instead. `AWS_LAMBDA_LOG_LEVEL` (or `RUST_LOG`) above INFO turns the line off.
//!
//! A JSON line also carries the request's metrics in CloudWatch's Embedded Metric Format
//! ([`crate::metrics`]) unless `SITE_METRICS=off`; a text line carries none (EMF is JSON).

use std::io::Write;

use serde::Serialize;

use crate::door::Response;
use crate::handler::{RequestLine, Tally};
use crate::metrics::{self, BadNamespace, Metrics, Sample};

/// Where and how lines are written, fixed at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLog {
    pub format: Format,
    /// Whether INFO lines are written at all.
    pub enabled: bool,
    /// The EMF block of JSON lines (None: `SITE_METRICS=off`).
    pub metrics: Option<Metrics>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

/// One request, as logged.
#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    pub message: &'static str,
    pub method: &'a str,
    pub path: &'a str,
    pub status: u16,
    pub bytes: u64,
    pub encoding: &'a str,
    pub micros: u64,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub query: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<&'a str>,
    #[serde(rename = "userAgent", skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<&'a str>,
    #[serde(rename = "clientIp", skip_serializing_if = "Option::is_none")]
    pub client_ip: Option<&'a str>,
    /// ALB's `x-amzn-trace-id`: joins this line to ALB's access log.
    #[serde(rename = "albTraceId", skip_serializing_if = "Option::is_none")]
    pub alb_trace_id: Option<&'a str>,
    /// The verified user's `sub` and `email`, on a private site (never the token).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<&'a str>,
    /// Why the login check refused the request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<&'a str>,
    /// The front door (`door::Door::name`).
    pub door: &'static str,
    /// What the metrics count the request as, besides its status.
    #[serde(skip)]
    pub tally: Tally,
    /// When it was answered, in milliseconds since the epoch (the metrics' timestamp).
    #[serde(skip)]
    pub millis: u64,
}

impl<'a> Entry<'a> {
    /// The entry of one answered request: what the handler saw and answered, the time it took
    /// (`micros`) and when (`millis` since the epoch).
    pub fn new(
        request: &'a RequestLine<'_>,
        response: &'a Response<'_>,
        micros: u64,
        millis: u64,
    ) -> Entry<'a> {
        let user = request.user.as_ref();
        Entry {
            message: "request",
            method: &request.method,
            path: &request.path,
            status: response.status.code(),
            bytes: response.body_len(),
            encoding: response.header("Content-Encoding").unwrap_or("identity"),
            micros,
            query: &request.query,
            host: request.host.as_deref(),
            user_agent: request.user_agent.as_deref(),
            client_ip: request.client_ip.as_deref(),
            alb_trace_id: request.alb_trace_id.as_deref(),
            user: user.map(|u| u.sub.as_str()),
            email: user.and_then(|u| u.email.as_deref()),
            refused: request.refused.as_deref(),
            door: request.door.name(),
            tally: request.tally,
            millis,
        }
    }
}

/// The invocation an entry belongs to (absent for `bootstrap invoke`).
#[derive(Debug, Serialize)]
pub struct Span<'a> {
    #[serde(rename = "requestId")]
    pub request_id: &'a str,
    #[serde(rename = "xrayTraceId", skip_serializing_if = "str::is_empty")]
    pub xray_trace_id: &'a str,
    pub name: &'static str,
}

#[derive(Serialize)]
struct JsonLine<'a> {
    level: &'static str,
    fields: &'a Entry<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    span: Option<&'a Span<'a>>,
}

impl AccessLog {
    /// From Lambda's advanced logging controls, and the metrics' settings: `SITE_METRICS`
    /// (`off` turns them off), `SITE_METRICS_NAMESPACE` and Lambda's `AWS_LAMBDA_FUNCTION_NAME`.
    pub fn from_env() -> Result<AccessLog, BadNamespace> {
        let var = |name| std::env::var(name).unwrap_or_default();
        let format = var("AWS_LAMBDA_LOG_FORMAT");
        let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
            .or_else(|_| std::env::var("RUST_LOG"))
            .unwrap_or_default();
        let log = AccessLog::new(&format, &level);
        if ["off", "false", "0", "no"]
            .iter()
            .any(|off| var("SITE_METRICS").trim().eq_ignore_ascii_case(off))
        {
            return Ok(log);
        }
        let namespace = std::env::var("SITE_METRICS_NAMESPACE")
            .unwrap_or_else(|_| metrics::DEFAULT_NAMESPACE.to_string());
        let function = std::env::var("AWS_LAMBDA_FUNCTION_NAME").unwrap_or_else(|_| "local".into());
        Ok(log.with_metrics(Metrics::new(&namespace, &function)?))
    }

    /// This log with the metrics' EMF block in its JSON lines.
    pub fn with_metrics(mut self, metrics: Metrics) -> AccessLog {
        self.metrics = Some(metrics);
        self
    }

    /// `format` as in `AWS_LAMBDA_LOG_FORMAT`, `level` as in `AWS_LAMBDA_LOG_LEVEL`; an
    /// unknown level means INFO, as Lambda's own runtimes read it.
    pub fn new(format: &str, level: &str) -> AccessLog {
        let format = if format.trim().eq_ignore_ascii_case("text") {
            Format::Text
        } else {
            Format::Json
        };
        let enabled = !["warn", "error", "fatal", "off"]
            .iter()
            .any(|l| level.trim().eq_ignore_ascii_case(l));
        AccessLog {
            format,
            enabled,
            metrics: None,
        }
    }

    /// Writes `entry` as one line to `out` (a reused buffer is cleared first; the line is
    /// written with a single call so lines from other writers cannot interleave with it).
    pub fn write(
        &self,
        out: &mut impl Write,
        buf: &mut Vec<u8>,
        entry: &Entry<'_>,
        span: Option<&Span<'_>>,
    ) -> std::io::Result<()> {
        if !self.enabled {
            return Ok(());
        }
        buf.clear();
        self.format_line(buf, entry, span);
        buf.push(b'\n');
        out.write_all(buf)
    }

    fn format_line(&self, buf: &mut Vec<u8>, entry: &Entry<'_>, span: Option<&Span<'_>>) {
        match self.format {
            Format::Json => {
                let line = JsonLine {
                    level: "INFO",
                    fields: entry,
                    span,
                };
                // Serializing plain strings and numbers into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *buf, &line);
                if let Some(m) = &self.metrics {
                    let sample = Sample {
                        status: entry.status,
                        bytes: entry.bytes,
                        micros: entry.micros,
                        tally: entry.tally,
                    };
                    m.append(buf, entry.millis, entry.door, &sample);
                }
            }
            Format::Text => {
                let _ = write!(buf, "INFO ");
                if let Some(s) = span {
                    let _ = write!(buf, "{}{{requestId={:?}", s.name, printable(s.request_id));
                    if !s.xray_trace_id.is_empty() {
                        let _ = write!(buf, " xrayTraceId={:?}", printable(s.xray_trace_id));
                    }
                    let _ = write!(buf, "}}: ");
                }
                let _ = write!(
                    buf,
                    "{} method={} path={} status={} bytes={} encoding={} micros={} door={}",
                    entry.message,
                    printable(entry.method),
                    printable(entry.path),
                    entry.status,
                    entry.bytes,
                    printable(entry.encoding),
                    entry.micros,
                    entry.door
                );
                if !entry.query.is_empty() {
                    let _ = write!(buf, " query={:?}", printable(entry.query));
                }
                for (key, value) in [
                    ("host", entry.host),
                    ("ua", entry.user_agent),
                    ("ip", entry.client_ip),
                    ("alb_trace", entry.alb_trace_id),
                ] {
                    if let Some(v) = value {
                        let _ = write!(buf, " {key}={:?}", printable(v));
                    }
                }
                if let Some(user) = entry.user {
                    let _ = write!(buf, " user={:?}", printable(user));
                }
                if let Some(email) = entry.email {
                    let _ = write!(buf, " email={:?}", printable(email));
                }
                if let Some(why) = entry.refused {
                    let _ = write!(buf, " refused={:?}", printable(why));
                }
            }
        }
    }
}

/// Escapes control characters, so a crafted method or path cannot forge log lines.
pub fn printable(s: &str) -> std::borrow::Cow<'_, str> {
    if s.chars().any(char::is_control) {
        s.escape_debug().to_string().into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests;
