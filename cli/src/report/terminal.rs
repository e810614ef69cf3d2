//! The report as text tables for a terminal, with optional ANSI colour.
//!
//! Every string that comes from the log goes through [`clean`]: control characters
//! (ESC included) and bidirectional overrides are shown escaped, so a hostile path or
//! user agent cannot move the cursor, recolour or reorder the terminal's text.

use std::io::{self, Write};

use super::agent::KINDS;
use super::stats::FUNNEL;
use super::summary::{Row, Summary};
use super::time;

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";
pub(crate) const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
pub(crate) const YELLOW: &str = "\x1b[33m";
const CYAN: &str = "\x1b[36m";
const MAGENTA: &str = "\x1b[35m";

/// Text from the log, made safe and short for a terminal cell.
pub(crate) fn clean(s: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(s.len().min(max_chars + 8));
    let mut shown = 0;
    for c in s.chars() {
        if shown >= max_chars {
            out.pop();
            out.push('…');
            return out;
        }
        let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}');
        if c.is_control() || bidi {
            let escaped = if (c as u32) < 0x100 {
                format!("\\x{:02X}", c as u32)
            } else {
                format!("\\u{{{:X}}}", c as u32)
            };
            shown += escaped.len();
            out.push_str(&escaped);
        } else {
            shown += 1;
            out.push(c);
        }
    }
    out
}

/// `1234567` → `1,234,567`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 request`, `2,345 requests`.
pub(crate) fn plural(n: u64, what: &str) -> String {
    format!("{} {what}{}", thousands(n), if n == 1 { "" } else { "s" })
}

/// A count, with `~` when it is an upper bound.
pub(crate) fn count(n: u64, approx: bool) -> String {
    if approx {
        format!("~{}", thousands(n))
    } else {
        thousands(n)
    }
}

/// Bytes in decimal units: `980 B`, `12.3 kB`, `4.56 MB`.
pub(crate) fn bytes(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < units.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    match unit {
        0 => format!("{n} B"),
        _ if value < 10.0 => format!("{value:.2} {}", units[unit]),
        _ if value < 100.0 => format!("{value:.1} {}", units[unit]),
        _ => format!("{value:.0} {}", units[unit]),
    }
}

/// A duration in microseconds: `87 µs`, `1.23 ms`, `45.6 ms`, `1.02 s`.
pub(crate) fn duration(us: u64) -> String {
    let ms = us as f64 / 1000.0;
    match us {
        0..=999 => format!("{us} µs"),
        1000..=9_999 => format!("{ms:.2} ms"),
        10_000..=999_999 => format!("{ms:.1} ms"),
        _ => format!("{:.2} s", ms / 1000.0),
    }
}

pub(crate) fn percent(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "–".to_owned();
    }
    let p = part as f64 * 100.0 / whole as f64;
    if p > 0.0 && p < 0.1 {
        "<0.1%".to_owned()
    } else {
        format!("{p:.1}%")
    }
}

/// Width-aligned columns; numbers right-aligned.
pub(crate) struct Table {
    head: Vec<&'static str>,
    right: Vec<bool>,
    rows: Vec<Vec<(String, Option<&'static str>)>>,
}

impl Table {
    pub(crate) fn new(head: &[(&'static str, bool)]) -> Table {
        Table {
            head: head.iter().map(|h| h.0).collect(),
            right: head.iter().map(|h| h.1).collect(),
            rows: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, cells: Vec<(String, Option<&'static str>)>) {
        self.rows.push(cells);
    }

    pub(crate) fn write(&self, out: &mut dyn Write, color: bool) -> io::Result<()> {
        let width = |s: &str| s.chars().count();
        let mut widths: Vec<usize> = self.head.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (w, (cell, _)) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        let line = |out: &mut dyn Write, cells: Vec<(String, Option<&str>)>, head: bool| {
            let mut text = String::from("  ");
            for (i, (cell, paint)) in cells.iter().enumerate() {
                let pad = widths[i].saturating_sub(width(cell));
                let last = i + 1 == cells.len();
                let (paint, reset) = match (color, head, paint) {
                    (true, true, _) => (DIM, RESET),
                    (true, false, Some(p)) => (*p, RESET),
                    _ => ("", ""),
                };
                if self.right[i] {
                    text.push_str(&" ".repeat(pad));
                    text.push_str(&format!("{paint}{cell}{reset}"));
                } else {
                    text.push_str(&format!("{paint}{cell}{reset}"));
                    if !last {
                        text.push_str(&" ".repeat(pad));
                    }
                }
                if !last {
                    text.push_str("  ");
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(
            out,
            self.head.iter().map(|h| ((*h).to_owned(), None)).collect(),
            true,
        )?;
        for row in &self.rows {
            line(
                out,
                row.iter().map(|(c, p)| (c.clone(), *p)).collect(),
                false,
            )?;
        }
        Ok(())
    }
}

pub(crate) fn cell(s: impl Into<String>) -> (String, Option<&'static str>) {
    (s.into(), None)
}

fn status_color(status: u16) -> &'static str {
    match status {
        200..=299 => GREEN,
        300..=399 => CYAN,
        400..=499 => YELLOW,
        _ => RED,
    }
}

pub(crate) struct Out<'a> {
    pub(crate) w: &'a mut dyn Write,
    pub(crate) color: bool,
}

impl Out<'_> {
    fn paint(&self, code: &'static str, text: &str) -> String {
        if self.color {
            format!("{code}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    fn heading(&mut self, title: &str) -> io::Result<()> {
        writeln!(self.w)?;
        let rule = "─".repeat(72usize.saturating_sub(title.len() + 1));
        if self.color {
            writeln!(self.w, "{BOLD}{CYAN}{title}{RESET} {DIM}{rule}{RESET}")
        } else {
            writeln!(self.w, "{title} {rule}")
        }
    }

    pub(crate) fn field(&mut self, name: &str, value: &str) -> io::Result<()> {
        let name = self.paint(DIM, &format!("{name:<12}"));
        writeln!(self.w, "  {name} {value}")
    }

    fn rows(&mut self, head: &'static str, rows: &[Row], max: usize) -> io::Result<()> {
        let mut t = Table::new(&[(head, false), ("Count", true)]);
        for r in rows {
            t.row(vec![
                cell(clean(&r.key, max)),
                cell(count(r.count, r.approx)),
            ]);
        }
        t.write(self.w, self.color)
    }
}

const BLOCKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn sparkline(values: &[u64]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| match (v, max) {
            (0, _) => ' ',
            (_, 0) => ' ',
            _ => BLOCKS[(v.saturating_mul(8).div_ceil(max) - 1).min(7) as usize],
        })
        .collect()
}

/// A bar `width` cells long for `part` of `whole`.
fn bar(part: u64, whole: u64, width: usize) -> String {
    if whole == 0 {
        return String::new();
    }
    let cells = ((part as f64 / whole as f64) * width as f64)
        .round()
        .max(1.0) as usize;
    "■".repeat(cells.min(width))
}

/// Bar width for a chart, as text: `1 min`, `5 s`.
pub(crate) fn width_label(secs: i64) -> String {
    match secs {
        s if s % 86_400 == 0 => format!("{} d", s / 86_400),
        s if s % 3600 == 0 => format!("{} h", s / 3600),
        s if s % 60 == 0 => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

fn when(t: Option<i64>) -> String {
    t.map_or_else(|| "–".to_owned(), |t| time::format(t, true))
}

/// A time in a table: without the date when the whole report is within one day (the
/// date is in the title line).
pub(crate) fn when_in(t: Option<i64>, one_day: bool) -> String {
    match t {
        Some(t) if one_day => time::format(t, true)[11..].to_owned(),
        _ => when(t),
    }
}

/// Writes the whole report.
pub(crate) fn write(s: &Summary, w: &mut dyn Write, color: bool) -> io::Result<()> {
    let mut o = Out { w, color };
    let ov = &s.overview;
    let title = o.paint(BOLD, "reqlog report");
    let names: Vec<String> = s.files.iter().map(|f| clean(&f.name, 60)).collect();
    writeln!(o.w, "{title} · {}", names.join(", "))?;
    let span = match (ov.first, ov.last) {
        (Some(a), Some(b)) => format!(
            " · {} → {} UTC ({})",
            time::format(a, true),
            time::format(b, true),
            time::span(b - a)
        ),
        _ => String::new(),
    };
    writeln!(o.w, "{} requests{span}", thousands(ov.requests))?;

    let one_day = match (ov.first, ov.last) {
        (Some(a), Some(b)) => time::format(a, false)[..10] == time::format(b, false)[..10],
        _ => false,
    };

    // Overview.
    o.heading("OVERVIEW")?;
    if s.sampled_lines > 0 {
        let from = format!(
            "{} (estimated from sampled lines: {} lines read)",
            thousands(ov.requests),
            thousands(s.request_lines)
        );
        o.field("Requests", &from)?;
    } else {
        o.field("Requests", &thousands(ov.requests))?;
    }
    o.field("Bytes sent", &bytes(ov.bytes))?;
    let classes = ["2xx", "3xx", "4xx", "5xx"];
    let colors = [GREEN, CYAN, YELLOW, RED];
    let mut mix: Vec<String> = classes
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let n = ov.status_classes[i + 1];
            o.paint(
                colors[i],
                &format!("{c} {} ({})", thousands(n), percent(n, ov.requests)),
            )
        })
        .collect();
    for (i, label) in [(0, "1xx"), (5, "none")] {
        if ov.status_classes[i] > 0 {
            mix.push(format!("{label} {}", thousands(ov.status_classes[i])));
        }
    }
    o.field("Status", &mix.join("   "))?;
    match &ov.durations {
        Some(d) => o.field(
            "Duration",
            &format!(
                "p50 {}   p95 {}   p99 {}   max {}   {}",
                duration(d.p50),
                duration(d.p95),
                duration(d.p99),
                duration(d.max),
                o.paint(DIM, &format!("({} timed, ±0.8 %)", thousands(d.count)))
            ),
        )?,
        None => o.field("Duration", "– (no line has duration_ms)")?,
    }
    let kinds: Vec<String> = KINDS
        .iter()
        .zip(ov.kinds)
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k} {}", thousands(n)))
        .collect();
    if kinds.is_empty() {
        o.field("Clients", "–")?;
    } else {
        o.field("Clients", &kinds.join(" · "))?;
    }
    if !ov.outcomes.is_empty() {
        let outcomes: Vec<String> = ov
            .outcomes
            .iter()
            .map(|r| format!("{} {}", clean(&r.key, 16), thousands(r.count)))
            .collect();
        o.field("Outcomes", &outcomes.join(" · "))?;
    }
    if let Some(chart) = &s.chart {
        let totals: Vec<u64> = chart.series.bars.iter().map(|b| b.requests()).collect();
        let line = o.paint(GREEN, &sparkline(&totals));
        o.field("Over time", &line)?;
        let legend = format!(
            "1 bar = {}, from {}",
            width_label(chart.series.width),
            time::format(chart.series.start, false)
        );
        let legend = o.paint(DIM, &legend);
        o.field("", &legend)?;
    }
    if !ov.routes.is_empty() {
        writeln!(o.w)?;
        let mut t = Table::new(&[
            ("Route", false),
            ("Requests", true),
            ("Share", true),
            ("4xx", true),
            ("5xx", true),
            ("Mean", true),
        ]);
        for r in &ov.routes {
            t.row(vec![
                cell(clean(&r.route, 48)),
                cell(count(r.count, r.approx)),
                cell(percent(r.count, ov.requests)),
                (
                    thousands(r.client_errors),
                    (r.client_errors > 0).then_some(YELLOW),
                ),
                (
                    thousands(r.server_errors),
                    (r.server_errors > 0).then_some(RED),
                ),
                cell(r.mean_us.map_or("–".to_owned(), duration)),
            ]);
        }
        t.write(o.w, color)?;
    }

    // Users.
    let u = &s.users;
    o.heading("USERS")?;
    let approx = if u.distinct_approx { "~" } else { "" };
    o.field(
        "Users",
        &format!(
            "{approx}{} distinct {}",
            thousands(u.distinct),
            o.paint(
                DIM,
                &format!(
                    "(pseudonymous enduser.pseudo.id, on {} requests)",
                    thousands(u.requests_with_user)
                )
            )
        ),
    )?;
    let steps = FUNNEL;
    let mut funnel = format!("{} {}", steps[0], thousands(u.funnel[0]));
    for (k, step) in steps.iter().enumerate().skip(1) {
        funnel.push_str(&format!(
            " → {step} {} ({})",
            thousands(u.funnel[k]),
            percent(u.funnel[k], u.funnel[k - 1])
        ));
    }
    o.field("Funnel", &funnel)?;
    if u.actions.is_empty() {
        o.field("Actions", "none recorded (no visitor.actions in the lines)")?;
    } else {
        writeln!(o.w)?;
        o.rows("Action", &u.actions, 40)?;
        if let Some(chart) = &s.chart {
            let totals: Vec<u64> = chart
                .series
                .bars
                .iter()
                .map(|b| b.actions.iter().sum())
                .collect();
            let line = o.paint(MAGENTA, &sparkline(&totals));
            o.field("Over time", &line)?;
        }
    }
    if !u.details.is_empty() {
        writeln!(o.w)?;
        o.rows("Action detail", &u.details, 60)?;
    }

    // Search engines.
    let se = &s.search;
    o.heading("SEARCH ENGINES")?;
    if se.crawlers.is_empty() {
        writeln!(o.w, "  No crawler requests.")?;
    } else {
        o.field(
            "Crawlers",
            &format!(
                "{} from {}{}",
                plural(se.requests, "request"),
                plural(se.crawler_count, "crawler"),
                match se.verified {
                    0 => String::new(),
                    n => format!(" · {} verified", thousands(n)),
                }
            ),
        )?;
        writeln!(o.w)?;
        let mut t = Table::new(&[
            ("Crawler", false),
            ("Requests", true),
            ("Pages", true),
            ("robots.txt", true),
            ("Refused", true),
            ("Not found", true),
            ("Last seen", false),
        ]);
        for c in &se.crawlers {
            t.row(vec![
                cell(clean(&c.name, 32)),
                cell(count(c.requests, c.approx)),
                cell(count(c.pages, c.pages_approx)),
                cell(thousands(c.robots)),
                (thousands(c.refused), (c.refused > 0).then_some(YELLOW)),
                (thousands(c.not_found), (c.not_found > 0).then_some(YELLOW)),
                cell(when_in(c.last, one_day)),
            ]);
        }
        t.write(o.w, color)?;
        if !se.misses.is_empty() {
            writeln!(o.w)?;
            let mut t = Table::new(&[
                ("Crawler", false),
                ("Status", true),
                ("Path", false),
                ("Count", true),
            ]);
            for m in &se.misses {
                t.row(vec![
                    cell(clean(&m.crawler, 24)),
                    (m.status.to_string(), Some(status_color(m.status))),
                    cell(clean(&m.path, 56)),
                    cell(count(m.count, m.approx)),
                ]);
            }
            t.write(o.w, color)?;
        }
        super::robots::terminal(&se.disallowed, &mut o)?;
    }

    // Attackers.
    let a = &s.attackers;
    o.heading("ATTACKERS")?;
    if a.probes == 0 {
        writeln!(
            o.w,
            "  No probes recorded{}.",
            if s.overview.kinds.iter().sum::<u64>() > 0 && a.categories.is_empty() {
                " (probe fields come from reqlog's ProbeDetector)"
            } else {
                ""
            }
        )?;
    } else {
        o.field(
            "Probes",
            &format!(
                "{} · first {} · last {}",
                thousands(a.probes),
                when(a.first),
                when(a.last)
            ),
        )?;
    }
    o.field(
        "Scanners",
        &format!(
            "{} with a scanner user agent · {} flagged scanning · {} blocked ({})",
            plural(a.scanner_requests, "request"),
            plural(a.scanning_clients, "client"),
            plural(a.blocked_requests, "request"),
            plural(a.blocked_clients, "client")
        ),
    )?;
    super::impostors::terminal(&a.impostors, &mut o, one_day)?;
    if !a.categories.is_empty() {
        writeln!(o.w)?;
        let mut t = Table::new(&[("Category", false), ("Probes", true), ("", false)]);
        for r in &a.categories {
            t.row(vec![
                cell(clean(&r.key, 24)),
                cell(count(r.count, r.approx)),
                (bar(r.count, a.probes, 30), Some(RED)),
            ]);
        }
        t.write(o.w, color)?;
    }
    if !a.rules.is_empty() {
        writeln!(o.w)?;
        let mut t = Table::new(&[("Rule", false), ("Category", false), ("Probes", true)]);
        for r in &a.rules {
            t.row(vec![
                cell(clean(&r.rule, 32)),
                cell(clean(&r.category, 16)),
                cell(count(r.count, r.approx)),
            ]);
        }
        t.write(o.w, color)?;
    }
    if !a.paths.is_empty() {
        writeln!(o.w)?;
        o.rows("Probed path", &a.paths, 64)?;
    }
    if !a.clients.is_empty() {
        writeln!(o.w)?;
        let mut t = Table::new(&[
            ("Client", false),
            ("Requests", true),
            ("Probes", true),
            ("404", true),
            ("Flags", false),
            ("Categories", false),
            ("First seen", false),
            ("Last seen", false),
        ]);
        for c in &a.clients {
            let mut flags = Vec::new();
            if c.scanner_agent {
                flags.push("scanner-ua");
            }
            if c.scanning {
                flags.push("scanning");
            }
            if c.blocked > 0 {
                flags.push("blocked");
            }
            t.row(vec![
                cell(clean(&c.address, 40)),
                cell(count(c.requests, c.approx)),
                cell(thousands(c.probes)),
                cell(thousands(c.not_found)),
                (flags.join(","), (!flags.is_empty()).then_some(RED)),
                cell(clean(&c.categories.join(","), 40)),
                cell(when_in(c.first, one_day)),
                cell(when_in(c.last, one_day)),
            ]);
        }
        t.write(o.w, color)?;
    }
    if !a.not_found.is_empty() {
        writeln!(o.w)?;
        o.rows("Not found (404), all clients", &a.not_found, 64)?;
    }

    // Input and notes.
    o.heading("INPUT")?;
    for f in &s.files {
        let mut line = format!("{}: {} lines", clean(&f.name, 60), thousands(f.lines));
        if f.gzip {
            line.push_str(" (gzip)");
        }
        if let Some(e) = &f.error {
            line.push_str(&o.paint(RED, &format!(" — read error: {}", clean(e, 80))));
        }
        writeln!(o.w, "  {line}")?;
    }
    let formats: Vec<String> = s
        .formats
        .iter()
        .map(|(f, n)| format!("{} {}", f.as_str(), thousands(*n)))
        .collect();
    let mut parts = vec![plural(s.lines, "line")];
    if !formats.is_empty() {
        parts.push(formats.join(" · "));
    }
    if s.filtered > 0 {
        parts.push(format!("{} filtered out", plural(s.filtered, "request")));
    }
    if s.starts > 0 {
        parts.push(plural(s.starts, "app start"));
    }
    if s.other_events > 0 {
        parts.push(plural(s.other_events, "other event"));
    }
    if s.blank > 0 {
        parts.push(format!("{} blank", thousands(s.blank)));
    }
    writeln!(o.w, "  {}", parts.join("; "))?;
    for note in &s.notes {
        let note = o.paint(YELLOW, &format!("• {note}"));
        writeln!(o.w, "  {note}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_is_escaped() {
        assert_eq!(clean("/a\x1b[2Jb", 80), "/a\\x1B[2Jb");
        assert_eq!(clean("x\u{202e}y", 80), "x\\u{202E}y");
        assert_eq!(clean("abcdefgh", 4), "abc…");
        assert_eq!(clean("\u{85}", 80), "\\x85");
    }

    #[test]
    fn numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(980), "980 B");
        assert_eq!(bytes(12_345), "12.3 kB");
        assert_eq!(bytes(4_560_000), "4.56 MB");
        assert_eq!(duration(87), "87 µs");
        assert_eq!(duration(1234), "1.23 ms");
        assert_eq!(duration(1_020_000), "1.02 s");
        assert_eq!(percent(1, 3), "33.3%");
        assert_eq!(sparkline(&[0, 1, 8]), " ▁█");
    }
}
