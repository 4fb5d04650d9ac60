//! Metrics for free: the access line carries CloudWatch's Embedded Metric Format (EMF), so
//! CloudWatch Logs extracts the metrics as it ingests the line, with no agent, no API call and no
//! time added to the request.
//!
//! The JSON line gains, at its root, an `_aws` block (the timestamp and the directive naming the
//! namespace, the dimensions and each metric with its unit), the two dimensions (`FunctionName`,
//! `Door`) and a value per metric. Everything a client sends stays inside `fields`, as escaped
//! JSON strings, so no header can forge a metric or a dimension.
//!
//! A line declares `Requests`, `BytesSent`, `HandlerTime` and only the counts that are 1 for
//! this request (its status class, and a 304, a range, a redirect or a refused login when it is
//! one): CloudWatch sums what it is given, and declaring the other ten as 0 would double the
//! bytes each line adds to the log (paid at CloudWatch Logs' ingestion price).
//!
//! What does not change between lines (the namespace, the dimensions, the function's name, each
//! metric's declaration) is written once, at start, and copied into each line.
//! Spec: <https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html>

use std::fmt;

use crate::handler::Tally;

/// The namespace the metrics go to unless `SITE_METRICS_NAMESPACE` says otherwise.
pub const DEFAULT_NAMESPACE: &str = "StaticSite";

/// Each metric a request line carries, with its CloudWatch unit, in the order written.
pub const METRICS: [(&str, &str); 13] = [
    ("Requests", "Count"),
    ("Status2xx", "Count"),
    ("Status3xx", "Count"),
    ("Status4xx", "Count"),
    ("Status5xx", "Count"),
    ("NotModified", "Count"),
    ("PartialContent", "Count"),
    ("Redirects", "Count"),
    ("OffloadRedirects", "Count"),
    ("LoginsRefused", "Count"),
    ("KeyFetchFailures", "Count"),
    ("BytesSent", "Bytes"),
    ("HandlerTime", "Microseconds"),
];

/// What one request counts for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub status: u16,
    /// Body bytes sent.
    pub bytes: u64,
    /// Time in the handler.
    pub micros: u64,
    pub tally: Tally,
}

impl Sample {
    /// The value of each metric of [`METRICS`], in that order.
    pub fn values(&self) -> [u64; METRICS.len()] {
        let class = self.status / 100;
        let redirect = matches!(self.status, 301 | 302 | 303 | 307 | 308);
        let offloaded = self.tally == Tally::Offloaded;
        [
            1,
            u64::from(class == 2),
            u64::from(class == 3),
            u64::from(class == 4),
            u64::from(class == 5),
            u64::from(self.status == 304),
            u64::from(self.status == 206),
            u64::from(redirect && !offloaded),
            u64::from(redirect && offloaded),
            u64::from(self.tally == Tally::LoginRefused),
            u64::from(self.tally == Tally::KeysUnavailable),
            self.bytes,
            self.micros,
        ]
    }
}

/// Metrics always declared, whatever their value (the others only when 1).
const ALWAYS: [&str; 3] = ["Requests", "BytesSent", "HandlerTime"];

/// The EMF part of every line, the fixed pieces written at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metrics {
    /// `"CloudWatchMetrics":[{"Namespace":…,"Dimensions":…,"Metrics":[`
    head: String,
    /// For each metric of [`METRICS`]: its declaration `{"Name":…,"Unit":…}` and the key
    /// `,"Name":` its value follows.
    pieces: Vec<(String, String)>,
    /// `]}]},"FunctionName":"…"`
    tail: String,
}

/// A namespace CloudWatch would refuse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadNamespace(pub String);

impl fmt::Display for BadNamespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SITE_METRICS_NAMESPACE={:?} is not a CloudWatch namespace: 1 to 255 characters of \
             letters, digits and . - _ / # : or space, not starting with \"AWS/\"",
            self.0
        )
    }
}

impl std::error::Error for BadNamespace {}

impl Metrics {
    /// Metrics to `namespace`, with `function` (Lambda's `AWS_LAMBDA_FUNCTION_NAME`) as the
    /// `FunctionName` dimension.
    pub fn new(namespace: &str, function: &str) -> Result<Metrics, BadNamespace> {
        let valid = (1..=255).contains(&namespace.len())
            && !namespace.starts_with("AWS/")
            && namespace
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-_/#: ".contains(c));
        if !valid {
            return Err(BadNamespace(namespace.to_string()));
        }
        let string = |s: &str| serde_json::Value::from(s).to_string();
        Ok(Metrics {
            head: format!(
                "\"CloudWatchMetrics\":[{{\"Namespace\":{},\"Dimensions\":[[\"FunctionName\",\"Door\"]],\"Metrics\":[",
                string(namespace)
            ),
            pieces: METRICS
                .iter()
                .map(|(name, unit)| {
                    (
                        format!("{{\"Name\":\"{name}\",\"Unit\":\"{unit}\"}}"),
                        format!(",\"{name}\":"),
                    )
                })
                .collect(),
            tail: format!("]}}]}},\"FunctionName\":{}", string(function)),
        })
    }

    /// Whether a line declares metric `name` with `value`.
    fn declared(name: &str, value: u64) -> bool {
        value != 0 || ALWAYS.contains(&name)
    }

    /// Closes the JSON object in `buf` (a line without its newline) with the EMF members.
    pub fn append(&self, buf: &mut Vec<u8>, millis: u64, door: &'static str, sample: &Sample) {
        if buf.last() != Some(&b'}') {
            return;
        }
        buf.pop();
        let values = sample.values();
        // Only copies of the fixed pieces and integers (itoa): the line is written per request,
        // and `write!`'s formatting machinery cost more than the rest of the metrics together.
        let mut digits = itoa::Buffer::new();
        buf.extend_from_slice(b",\"_aws\":{\"Timestamp\":");
        buf.extend_from_slice(digits.format(millis).as_bytes());
        buf.push(b',');
        buf.extend_from_slice(self.head.as_bytes());
        // The metrics this line declares, with their values: both lists below follow it (an
        // iterator, walked twice, rather than a list allocated per request).
        let declared = || {
            METRICS
                .iter()
                .zip(values)
                .zip(&self.pieces)
                .filter(|(((name, _), value), _)| Self::declared(name, *value))
                .map(|((_, value), piece)| (piece, value))
        };
        for (i, ((declaration, _), _)) in declared().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            buf.extend_from_slice(declaration.as_bytes());
        }
        buf.extend_from_slice(self.tail.as_bytes());
        // A door's name is one of four fixed words: nothing to escape.
        buf.extend_from_slice(b",\"Door\":\"");
        buf.extend_from_slice(door.as_bytes());
        buf.push(b'"');
        for ((_, key), value) in declared() {
            buf.extend_from_slice(key.as_bytes());
            buf.extend_from_slice(digits.format(value).as_bytes());
        }
        buf.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(status: u16, tally: Tally) -> Sample {
        Sample {
            status,
            bytes: 10,
            micros: 3,
            tally,
        }
    }

    fn counted(s: Sample) -> Vec<&'static str> {
        METRICS
            .iter()
            .zip(s.values())
            .filter(|(_, v)| *v == 1)
            .map(|((name, _), _)| *name)
            .filter(|n| !["Requests", "BytesSent", "HandlerTime"].contains(n))
            .collect()
    }

    #[test]
    fn each_answer_counts_in_its_status_class_and_its_kind() {
        assert_eq!(counted(sample(200, Tally::Plain)), ["Status2xx"]);
        assert_eq!(
            counted(sample(206, Tally::Plain)),
            ["Status2xx", "PartialContent"]
        );
        assert_eq!(
            counted(sample(304, Tally::Plain)),
            ["Status3xx", "NotModified"]
        );
        assert_eq!(
            counted(sample(308, Tally::Plain)),
            ["Status3xx", "Redirects"]
        );
        assert_eq!(
            counted(sample(307, Tally::Offloaded)),
            ["Status3xx", "OffloadRedirects"]
        );
        assert_eq!(
            counted(sample(304, Tally::Offloaded)),
            ["Status3xx", "NotModified"]
        );
        assert_eq!(counted(sample(404, Tally::Plain)), ["Status4xx"]);
        assert_eq!(
            counted(sample(401, Tally::LoginRefused)),
            ["Status4xx", "LoginsRefused"]
        );
        assert_eq!(
            counted(sample(503, Tally::KeysUnavailable)),
            ["Status5xx", "KeyFetchFailures"]
        );
        assert_eq!(counted(sample(502, Tally::Plain)), ["Status5xx"]);
    }

    #[test]
    fn a_namespace_cloudwatch_would_refuse_is_an_error_that_says_why() {
        for bad in ["", "AWS/Lambda", "a\"b", "naïve", &"x".repeat(256)] {
            let e = Metrics::new(bad, "f").unwrap_err();
            assert!(e.to_string().contains("not a CloudWatch namespace"), "{e}");
        }
        for good in ["StaticSite", "Team/Docs site", "a.b-c_d#e:f"] {
            assert!(Metrics::new(good, "f").is_ok(), "{good}");
        }
    }

    #[test]
    fn a_line_declares_only_the_counts_that_are_one() {
        let m = Metrics::new("StaticSite", "f").unwrap();
        let mut buf = b"{\"level\":\"INFO\"}".to_vec();
        m.append(&mut buf, 1, "alb", &sample(304, Tally::Plain));
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        let declared: Vec<&str> = v["_aws"]["CloudWatchMetrics"][0]["Metrics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["Name"].as_str().unwrap())
            .collect();
        assert_eq!(
            declared,
            [
                "Requests",
                "Status3xx",
                "NotModified",
                "BytesSent",
                "HandlerTime"
            ]
        );
        for name in declared {
            assert!(v[name].is_u64(), "{name}: {v}");
        }
        assert!(v.get("Status2xx").is_none(), "{v}");
    }

    #[test]
    fn the_function_name_is_a_json_string_whatever_it_holds() {
        let m = Metrics::new("StaticSite", "a\"b").unwrap();
        let mut buf = b"{\"level\":\"INFO\"}".to_vec();
        m.append(&mut buf, 1, "alb", &sample(200, Tally::Plain));
        let v: serde_json::Value = serde_json::from_slice(&buf).unwrap();
        assert_eq!(v["FunctionName"], "a\"b");
    }
}
