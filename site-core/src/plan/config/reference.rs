//! `docs/reference/site-toml.md`, rendered from the settings' own types: their doc comments,
//! serde attributes and defaults, read through the JSON schema schemars derives for them (in
//! tests only; the binary and the build script carry none of it). A key, a choice or a default
//! changed in config.rs changes the page, and the test here fails until it is regenerated
//! (`make reference`); a key or a choice without a doc comment fails it too.

use std::path::PathBuf;

use serde_json::{Map, Value};

use super::Config;

/// The page, from the repository's top.
const PAGE: &str = "docs/reference/site-toml.md";

fn page_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(PAGE)
}

/// One key of the file as the page shows it.
struct Key {
    /// Dotted name; a key of an array of tables has `[]` after the array's name.
    name: String,
    /// The key's schema, its `$ref` (or `Option`'s null) resolved.
    schema: Value,
    /// Its default as the schema gives it; `None` when the key is required.
    default: Option<Value>,
    /// What opens the key's table in a file (`[cache.cdn]`, `[[auth.rule]]` with the table's
    /// required keys), empty at the top level.
    table: String,
    meaning: String,
    /// Each possible value with its meaning, for a key of an enum type.
    choices: Vec<(String, String)>,
}

/// One table of the file: its keys, then its sub-tables' sections.
struct Section {
    heading: String,
    intro: String,
    keys: Vec<Key>,
}

struct Walk<'s> {
    defs: &'s Map<String, Value>,
    sections: Vec<Section>,
    problems: Vec<String>,
}

/// A doc comment as one line.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(one_line)
        .filter(|d| !d.is_empty())
}

impl Walk<'_> {
    /// Follows a `$ref`, and `Option<T>`'s `anyOf: [T, null]`, to the schema of the value.
    fn resolve(&self, schema: &Value) -> Value {
        if let Some(name) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix("#/$defs/"))
        {
            return self.resolve(self.defs.get(name).unwrap_or(&Value::Null));
        }
        if let Some(Value::Array(any)) = schema.get("anyOf") {
            let not_null: Vec<&Value> = any.iter().filter(|s| s["type"] != "null").collect();
            if let [only] = not_null[..] {
                if any.len() == 2 && only.get("$ref").is_some() {
                    return self.resolve(only);
                }
            }
        }
        schema.clone()
    }

    fn table(&mut self, schema: &Value, heading: String, prefix: &str, intro: String) {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let mut table = match heading.as_str() {
            "" => String::new(),
            h => format!("{h}\n"),
        };
        for name in &required {
            table.push_str(&format!("{name} = \"x\"\n"));
        }
        let mut keys = Vec::new();
        let mut subtables = Vec::new();
        let empty = Map::new();
        let properties = schema["properties"].as_object().unwrap_or(&empty);
        for (name, property) in properties {
            let full = format!("{prefix}{name}");
            let meaning = description(property).unwrap_or_else(|| {
                self.problems
                    .push(format!("{full}: no doc comment on its field in config.rs"));
                String::new()
            });
            let value = self.resolve(property);
            let items = value.get("items").map(|i| self.resolve(i));
            if value.get("properties").is_some() {
                subtables.push((value, format!("[{full}]"), format!("{full}."), meaning));
                continue;
            }
            if let Some(items) = items.filter(|i| i.get("properties").is_some()) {
                subtables.push((items, format!("[[{full}]]"), format!("{full}[]."), meaning));
                continue;
            }
            let default = if required.contains(&name.as_str()) {
                None
            } else {
                match property.get("default") {
                    Some(d) => Some(d.clone()),
                    None => {
                        self.problems.push(format!(
                            "{full}: neither required nor given a default (serde's default)"
                        ));
                        None
                    }
                }
            };
            let choices = self.choices(&full, &value);
            keys.push(Key {
                name: full,
                schema: value,
                default,
                table: table.clone(),
                meaning,
                choices,
            });
        }
        self.sections.push(Section {
            heading,
            intro,
            keys,
        });
        for (schema, heading, prefix, intro) in subtables {
            self.table(&schema, heading, &prefix, intro);
        }
    }

    /// The values of an enum type, each with its variant's doc comment.
    fn choices(&mut self, key: &str, schema: &Value) -> Vec<(String, String)> {
        let variants = match schema.get("oneOf").or_else(|| schema.get("anyOf")) {
            Some(Value::Array(v)) => v,
            _ => return Vec::new(),
        };
        let mut out = Vec::new();
        for variant in variants {
            let label = match variant.get("const") {
                Some(c) => format!("`{}`", toml_value(c)),
                None if variant["type"] == "null" => "absent".to_string(),
                None => type_of(variant),
            };
            match description(variant) {
                Some(d) => out.push((label, d)),
                None => self.problems.push(format!(
                    "{key} = {label}: no doc comment on its enum variant in config.rs"
                )),
            }
        }
        out
    }
}

/// A value as TOML writes it (JSON's string escapes are TOML's).
fn toml_value(value: &Value) -> String {
    match value {
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(toml_value).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let pairs: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{k} = {}", toml_value(v)))
                .collect();
            format!("{{ {} }}", pairs.join(", "))
        }
        other => other.to_string(),
    }
}

/// The bounds an integer format has anyway, which say nothing about the key.
fn natural_bounds(format: &str) -> Option<(f64, f64)> {
    Some(match format {
        "uint8" => (0.0, u8::MAX as f64),
        "uint16" => (0.0, u16::MAX as f64),
        "uint32" => (0.0, u32::MAX as f64),
        "uint64" => (0.0, u64::MAX as f64),
        "int8" => (i8::MIN as f64, i8::MAX as f64),
        "int16" => (i16::MIN as f64, i16::MAX as f64),
        "int32" => (i32::MIN as f64, i32::MAX as f64),
        "int64" => (i64::MIN as f64, i64::MAX as f64),
        _ => return None,
    })
}

/// ", 1 to 604800", ", at least 1", ", above 0, at most 1", or nothing for the type's own bounds.
fn range(schema: &Value) -> String {
    let natural = schema["format"].as_str().and_then(natural_bounds);
    let bound = |key: &str, natural: Option<f64>| {
        schema
            .get(key)
            .filter(|v| v.as_f64() != natural)
            .map(Value::to_string)
    };
    let min = bound("minimum", natural.map(|n| n.0));
    let max = bound("maximum", natural.map(|n| n.1));
    let above = bound("exclusiveMinimum", None);
    let below = bound("exclusiveMaximum", None);
    if let (Some(min), Some(max)) = (&min, &max) {
        return format!(", {min} to {max}");
    }
    let parts: Vec<String> = [
        min.map(|v| format!("at least {v}")),
        above.map(|v| format!("above {v}")),
        max.map(|v| format!("at most {v}")),
        below.map(|v| format!("below {v}")),
    ]
    .into_iter()
    .flatten()
    .collect();
    parts.iter().map(|p| format!(", {p}")).collect()
}

fn type_of(schema: &Value) -> String {
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values: Vec<String> = values
            .iter()
            .map(|v| format!("`{}`", toml_value(v)))
            .collect();
        return values.join(" \\| ");
    }
    if let Some(Value::Array(variants)) = schema.get("oneOf").or_else(|| schema.get("anyOf")) {
        let consts = variants.iter().all(|v| v.get("const").is_some());
        let types: Vec<String> = variants
            .iter()
            .filter(|v| v["type"] != "null")
            .map(|v| match v.get("const") {
                Some(c) => format!("`{}`", toml_value(c)),
                None => type_of(v),
            })
            .collect();
        return types.join(if consts { " \\| " } else { " or " });
    }
    let kind = match &schema["type"] {
        Value::Array(kinds) => kinds.iter().find(|k| *k != "null").cloned(),
        kind => Some(kind.clone()),
    };
    match kind.as_ref().and_then(Value::as_str) {
        Some("array") => format!("array of {}s", type_of(&schema["items"])),
        Some(kind @ ("integer" | "number")) => format!("{kind}{}", range(schema)),
        Some(kind) => kind.to_string(),
        None => "any".to_string(),
    }
}

/// Walks the schema: the keys in their tables, and what keeps any of them from being documented.
fn walk(schema: &Value) -> (Vec<Section>, Vec<String>) {
    let empty = Map::new();
    let mut walk = Walk {
        defs: schema["$defs"].as_object().unwrap_or(&empty),
        sections: Vec::new(),
        problems: Vec::new(),
    };
    walk.table(schema, String::new(), "", String::new());
    (walk.sections, walk.problems)
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// The reference page of the file the schema describes.
fn render(schema: &Value) -> Result<String, Vec<String>> {
    let (sections, problems) = walk(schema);
    if !problems.is_empty() {
        return Err(problems);
    }
    let strict = {
        let empty = Map::new();
        let defs = schema["$defs"].as_object().unwrap_or(&empty);
        std::iter::once(schema)
            .chain(defs.values())
            .filter(|s| s.get("properties").is_some())
            .all(|s| s.get("additionalProperties") == Some(&Value::Bool(false)))
    };
    let mut out = String::new();
    out.push_str(
        "_Generated from `site-core/src/plan/config.rs` (the `Config` type: its doc comments, \
         serde attributes and defaults) by `make reference`. Do not edit: a unit test fails \
         when this page and the source differ._\n\n",
    );
    out.push_str("# site.toml reference\n\n");
    out.push_str(
        "The settings of the embedded site, read at build time from `site.toml` (or the file \
         `SITE_CONFIG` names); `site.toml` at the top of the repository lists the defaults. \
         Every key is optional unless its default says \"required\", and a missing file means \
         every default.",
    );
    if strict {
        out.push_str(" A key not listed here fails the build, with its name.");
    }
    out.push('\n');
    for section in &sections {
        let heading = match section.heading.as_str() {
            "" => "Top-level keys".to_string(),
            h => format!("`{h}`"),
        };
        out.push_str(&format!("\n## {heading}\n\n"));
        if !section.intro.is_empty() {
            out.push_str(&format!("{}\n\n", section.intro));
        }
        if section.keys.is_empty() {
            continue;
        }
        out.push_str("| Key | Type | Default | Meaning |\n|---|---|---|---|\n");
        for key in &section.keys {
            let default = match &key.default {
                None => "required".to_string(),
                Some(Value::Null) => "absent".to_string(),
                Some(d) => format!("`{}`", cell(&toml_value(d))),
            };
            out.push_str(&format!(
                "| `{}` | {} | {default} | {} |\n",
                key.name,
                type_of(&key.schema),
                cell(&key.meaning)
            ));
        }
        for key in section.keys.iter().filter(|k| !k.choices.is_empty()) {
            out.push_str(&format!("\n`{}`:\n\n", key.name));
            for (value, meaning) in &key.choices {
                out.push_str(&format!("- {value}: {meaning}\n"));
            }
        }
    }
    Ok(out)
}

fn config_schema() -> Value {
    schemars::schema_for!(Config).to_value()
}

fn config_keys() -> Vec<Key> {
    walk(&config_schema())
        .0
        .into_iter()
        .flat_map(|s| s.keys)
        .collect()
}

/// A file that sets `key` to `value` (TOML), and nothing else it need not.
fn setting(key: &Key, value: &str) -> String {
    let name = key.name.rsplit(['.', ']']).next().unwrap_or(&key.name);
    format!("{}{name} = {value}\n", key.table)
}

#[test]
fn every_key_and_choice_of_the_settings_file_has_a_meaning() {
    if let Err(problems) = render(&config_schema()) {
        panic!(
            "add a one-line doc comment in site-core/src/plan/config.rs for:\n  {}",
            problems.join("\n  ")
        );
    }
}

#[test]
fn a_key_without_a_doc_comment_is_refused() {
    #[derive(serde::Serialize, schemars::JsonSchema, Default)]
    #[serde(default)]
    struct Settings {
        /// Documented.
        documented: u32,
        undocumented: u32,
    }
    let problems = render(&schemars::schema_for!(Settings).to_value()).unwrap_err();
    assert_eq!(
        problems,
        ["undocumented: no doc comment on its field in config.rs"]
    );
}

#[test]
fn an_enum_choice_without_a_doc_comment_is_refused() {
    #[derive(serde::Serialize, schemars::JsonSchema, Default)]
    #[serde(rename_all = "lowercase")]
    #[allow(dead_code)] // Off is only described, never made.
    enum Mode {
        /// Documented.
        #[default]
        On,
        Off,
    }
    #[derive(serde::Serialize, schemars::JsonSchema, Default)]
    #[serde(default)]
    struct Settings {
        /// The mode.
        mode: Mode,
    }
    let problems = render(&schemars::schema_for!(Settings).to_value()).unwrap_err();
    assert_eq!(
        problems,
        ["mode = `\"off\"`: no doc comment on its enum variant in config.rs"]
    );
}

#[test]
fn the_defaults_shown_are_what_a_file_without_the_key_gives() {
    for key in config_keys() {
        let Some(default) = &key.default else {
            continue;
        };
        let config: Config = toml::from_str(&key.table)
            .unwrap_or_else(|e| panic!("{}: {:?} does not parse: {e}", key.name, key.table));
        let parsed = serde_json::to_value(&config).unwrap();
        let found =
            key.name
                .split('.')
                .try_fold(&parsed, |v, part| match part.strip_suffix("[]") {
                    Some(array) => v.get(array)?.get(0),
                    None => v.get(part),
                });
        assert_eq!(found, Some(default), "{}", key.name);
    }
}

#[test]
fn the_ranges_shown_are_the_ones_the_settings_file_enforces() {
    let accepts = |key: &Key, value: &str| {
        let text = setting(key, value);
        assert!(
            Config::parse(&text).is_ok(),
            "{} refused:\n{text}",
            key.name
        );
    };
    let refuses = |key: &Key, value: &str| {
        let text = setting(key, value);
        let field = key.name.rsplit('.').next().unwrap_or_default();
        match Config::parse(&text) {
            Ok(_) => panic!("{} accepted:\n{text}", key.name),
            Err(e) => assert!(e.contains(field), "{}: {e}", key.name),
        }
    };
    let mut checked = 0;
    for key in config_keys().iter().filter(|k| !k.name.contains("[]")) {
        let s = &key.schema;
        let natural = s["format"].as_str().and_then(natural_bounds);
        if s["type"] == "integer" {
            if let Some(Value::Array(values)) = s.get("enum") {
                let values: Vec<i64> = values.iter().filter_map(Value::as_i64).collect();
                let (lo, hi) = (values.iter().min().unwrap(), values.iter().max().unwrap());
                for n in lo - 1..=hi + 1 {
                    if values.contains(&n) {
                        accepts(key, &n.to_string());
                    } else {
                        refuses(key, &n.to_string());
                    }
                }
                checked += 1;
            }
            if let Some(min) = s["minimum"]
                .as_i64()
                .filter(|&m| Some(m as f64) != natural.map(|n| n.0))
            {
                accepts(key, &min.to_string());
                refuses(key, &(min - 1).to_string());
                checked += 1;
            }
            if let Some(max) = s["maximum"]
                .as_i64()
                .filter(|&m| Some(m as f64) != natural.map(|n| n.1))
            {
                accepts(key, &max.to_string());
                refuses(key, &(max + 1).to_string());
                checked += 1;
            }
        }
        if s["type"] == "number" {
            if let Some(above) = s["exclusiveMinimum"].as_f64() {
                refuses(key, &format!("{above:?}"));
                accepts(key, &format!("{:?}", above + 1e-9));
                checked += 1;
            }
            if let Some(max) = s["maximum"].as_f64() {
                accepts(key, &format!("{max:?}"));
                refuses(key, &format!("{:?}", max + 1e-9));
                checked += 1;
            }
        }
        if let (Some("string"), Some(Value::Array(values))) = (s["type"].as_str(), s.get("enum")) {
            for value in values {
                accepts(key, &value.to_string());
            }
            refuses(key, "\"none of these\"");
            checked += 1;
        }
    }
    assert!(checked > 0, "no range or list of values to check");
}

#[test]
fn the_site_toml_reference_is_up_to_date() {
    let page = render(&config_schema()).unwrap_or_else(|problems| {
        panic!("config.rs cannot be documented: {}", problems.join("; "))
    });
    let path = page_path();
    if std::env::var_os("UPDATE_REFERENCE").is_some_and(|v| v == "1") {
        let written = std::fs::create_dir_all(path.parent().unwrap_or(&path))
            .and_then(|()| std::fs::write(&path, &page));
        written.unwrap_or_else(|e| panic!("cannot write {PAGE}: {e}"));
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    if current != page {
        let line = current
            .lines()
            .zip(page.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(current.lines().count().min(page.lines().count()))
            + 1;
        panic!("{PAGE} is out of date: run `make reference` (first difference at line {line})");
    }
}
