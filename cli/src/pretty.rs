//! `reqlog pretty`: JSON lines in (`cargo run | reqlog pretty`), the view of
//! [`reqlog::format::Pretty`] out, one line for one line.
//!
//! Keys are looked up with [`reqlog::Field::from_key`], so lines of earlier versions
//! (`client.kind`, `user.actions`…) read the same. A line that is not a JSON object
//! (a panic message, a logfmt line) is passed through unchanged.

use std::io::{self, BufRead, Write};

use reqlog::format::pretty::Line;
use reqlog::Field;
use serde_json::{Map, Value};

/// Copies `input` to `out`, each JSON object line shown as [`Line`] does.
pub(crate) fn run(input: impl BufRead, out: &mut impl Write, colors: bool) -> io::Result<()> {
    let mut buf = Vec::new();
    let mut input = input;
    let mut shown = Vec::new();
    loop {
        buf.clear();
        if input.read_until(b'\n', &mut buf)? == 0 {
            return Ok(());
        }
        shown.clear();
        match serde_json::from_slice::<Map<String, Value>>(&buf) {
            Ok(object) => show(&object, &mut shown, colors),
            Err(_) => {
                shown.extend_from_slice(&buf);
                if !shown.ends_with(b"\n") {
                    shown.push(b'\n');
                }
            }
        }
        out.write_all(&shown)?;
    }
}

/// Writes one JSON object as the pretty line.
fn show(object: &Map<String, Value>, out: &mut Vec<u8>, colors: bool) {
    let mut line = Line::default();
    let mut actions: Vec<&str> = Vec::new();
    for (key, value) in object {
        let Some(field) = Field::from_key(key.as_bytes()) else {
            continue;
        };
        let text = value.as_str();
        match field {
            Field::Timestamp => line.time = text,
            Field::Level => line.level = text,
            Field::EventName => line.event = text,
            Field::Method => line.method = text,
            Field::Path => line.path = text,
            Field::Status => line.status = value.as_u64(),
            Field::Duration => {
                // Milliseconds with three decimals on the line.
                line.duration_us = value
                    .as_f64()
                    .filter(|ms| ms.is_finite() && *ms >= 0.0)
                    .map(|ms| (ms * 1000.0).round() as u64);
            }
            Field::VisitorKind => line.kind = text,
            Field::ProbeCategory => line.probe = text,
            Field::Actions => {
                actions = value
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.get("name")?.as_str())
                    .collect();
            }
            _ => {}
        }
    }
    line.actions = &actions;
    line.write(out, colors);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(input: &str, colors: bool) -> String {
        let mut out = Vec::new();
        run(input.as_bytes(), &mut out, colors).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn new_and_old_keys_and_foreign_lines() {
        let new = r#"{"timestamp":"2026-11-24T02:30:05.123456Z","level":"INFO","otel.event.name":"http.request","http.request.method":"POST","url.path":"/login","http.response.status_code":303,"duration_ms":0.412,"visitor.kind":"human","visitor.actions":[{"name":"account.login"}],"enduser.pseudo.id":"u_0123456789abcdef"}"#;
        let old = r#"{"timestamp":"2026-11-24T02:30:06Z","level":"WARN","event.name":"http.request","http.request.method":"GET","url.path":"/wp-login.php","http.response.status_code":404,"duration_ms":1.5,"client.kind":"scanner","probe.category":"wordpress","user.actions":[]}"#;
        let input = format!("{new}\nnot json \x1b[31m\n{old}");
        assert_eq!(
            pretty(&input, false),
            "02:30:05.123 INFO  POST /login 303 0.412ms human account.login\n\
             not json \x1b[31m\n\
             02:30:06 WARN  GET /wp-login.php 404 1.500ms scanner probe:wordpress\n"
        );
        assert!(pretty(new, true).contains("\x1b[36maccount.login\x1b[0m"));
    }

    #[test]
    fn hostile_values_stay_on_one_line() {
        let line =
            r#"{"level":"INFO","url.path":"/a\u001b[2J\nfake line","visitor.kind":"x\u0007"}"#;
        assert_eq!(pretty(line, false), "INFO  /a\\x1b[2J\\nfake line x\\x07\n");
    }
}
