//! Inline SVG charts for the HTML page: stacked bars over time, horizontal bars, a
//! funnel and a share bar. Every label is escaped; hovering a bar shows its `<title>`.

use std::fmt::Write;

use super::terminal::{thousands, width_label};
use super::time::{self, Micros, SECOND};

/// Escapes text for HTML and SVG, in element content and quoted attributes.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Controls would make the page invalid XML-ish text; show them.
            c if c.is_control() && c != '\n' && c != '\t' => {
                let _ = write!(out, "\\x{:02X}", c as u32 & 0xff);
            }
            c => out.push(c),
        }
    }
    out
}

/// At most `max` characters, with `…` when cut.
pub(crate) fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// One series of a stacked chart.
pub(crate) struct Layer<'a> {
    pub(crate) name: &'a str,
    pub(crate) color: &'a str,
    pub(crate) values: Vec<u64>,
}

/// The smallest of 1, 2, 5 × 10^k that is at least `x`.
fn nice_step(x: f64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if (step * m) as f64 >= x {
                return step * m;
            }
        }
        step = step.saturating_mul(10);
        if step == u64::MAX {
            return step;
        }
    }
}

/// Axis label for the bar that starts at `t`.
fn tick_label(t: Micros, width: i64, span: i64) -> String {
    let full = time::format(t, true); // 2026-11-24 02:30:05
    if width >= 86_400 {
        full[..10].to_owned()
    } else if span >= 86_400 * SECOND {
        full[5..16].to_owned()
    } else if width >= 60 {
        full[11..16].to_owned()
    } else {
        full[11..19].to_owned()
    }
}

const W: f64 = 960.0;
const LEFT: f64 = 52.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// Stacked bars over time: one bar per bucket of `width` seconds from `start`.
pub(crate) fn stacked_bars(
    label: &str,
    layers: &[Layer<'_>],
    start: Micros,
    width: i64,
    height: f64,
) -> String {
    let n = layers.iter().map(|l| l.values.len()).max().unwrap_or(0);
    let totals: Vec<u64> = (0..n)
        .map(|i| {
            layers
                .iter()
                .map(|l| l.values.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let peak = totals.iter().copied().max().unwrap_or(0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {height}" role="img" aria-label="{}" preserveAspectRatio="xMidYMid meet">"#,
        esc(label)
    );
    if n == 0 || peak == 0 {
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" class="empty" text-anchor="middle">No data in this window</text></svg>"#,
            W / 2.0,
            height / 2.0
        );
        return svg;
    }
    let step = nice_step(peak as f64 / 4.0);
    let top = peak.div_ceil(step) * step;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = height - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h - v / top as f64 * plot_h;
    // Grid and y labels.
    let mut v = 0;
    while v <= top {
        let yy = y(v as f64);
        let _ = write!(
            svg,
            r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{yy:.1}" y2="{yy:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#,
            W - RIGHT,
            LEFT - 8.0,
            yy + 4.0,
            thousands(v)
        );
        v += step;
    }
    let slot = plot_w / n as f64;
    let gap = if slot > 6.0 { slot * 0.18 } else { 0.0 };
    let span = width * SECOND * n as i64;
    for i in 0..n {
        let x = LEFT + i as f64 * slot + gap / 2.0;
        let t = start + i as i64 * width * SECOND;
        let when = time::format(t, width < 60);
        let mut base = 0u64;
        let _ = write!(svg, "<g>");
        for layer in layers {
            let value = layer.values.get(i).copied().unwrap_or(0);
            if value == 0 {
                continue;
            }
            let (y0, y1) = (y(base as f64), y((base + value) as f64));
            let _ = write!(
                svg,
                r#"<rect x="{x:.2}" y="{y1:.2}" width="{:.2}" height="{:.2}" fill="{}"><title>{} · {}: {}</title></rect>"#,
                (slot - gap).max(0.5),
                (y0 - y1).max(0.5),
                layer.color,
                esc(&when),
                esc(layer.name),
                thousands(value)
            );
            base += value;
        }
        let _ = write!(svg, "</g>");
    }
    // X labels: at most six, evenly spread.
    let labels = n.min(6);
    let mut last = usize::MAX;
    for k in 0..labels {
        let i = if labels == 1 {
            0
        } else {
            k * (n - 1) / (labels - 1)
        };
        if i == last {
            continue;
        }
        last = i;
        let x = LEFT + (i as f64 + 0.5) * slot;
        let anchor = match (k, labels) {
            (0, _) if n > 1 => "start",
            (k, l) if k + 1 == l && n > 1 => "end",
            _ => "middle",
        };
        let x = match anchor {
            "start" => LEFT + i as f64 * slot,
            "end" => LEFT + (i + 1) as f64 * slot,
            _ => x,
        };
        let t = start + i as i64 * width * SECOND;
        let _ = write!(
            svg,
            r#"<text class="axis" x="{x:.1}" y="{:.1}" text-anchor="{anchor}">{}</text>"#,
            height - 8.0,
            esc(&tick_label(t, width, span))
        );
    }
    let _ = write!(
        svg,
        r#"<text class="axis note" x="{}" y="{}" text-anchor="end">1 bar = {}</text></svg>"#,
        W - RIGHT,
        TOP + 2.0,
        width_label(width)
    );
    svg
}

/// Horizontal bars, one row per `(label, value, color)`, on a canvas `w` wide (540
/// fits half a page); `fmt` writes the values (counts, durations).
pub(crate) fn hbars(
    label: &str,
    rows: &[(String, u64, &str)],
    fmt: &dyn Fn(u64) -> String,
    w: f64,
) -> String {
    let row_h = 30.0;
    let height = row_h * rows.len() as f64 + 8.0;
    let peak = rows.iter().map(|r| r.1).max().unwrap_or(0).max(1);
    let (label_w, value_w) = (170.0, 80.0);
    let bar_w = w - label_w - value_w - 10.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {height}" role="img" aria-label="{}">"#,
        esc(label)
    );
    for (i, (name, value, color)) in rows.iter().enumerate() {
        let y = 4.0 + i as f64 * row_h;
        let bar = (*value as f64 / peak as f64 * bar_w).max(2.0);
        let _ = write!(
            svg,
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{label_w}" y="{:.1}" width="{bar:.1}" height="{:.1}" rx="3" fill="{color}"><title>{}: {}</title></rect><text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
            label_w - 10.0,
            y + row_h / 2.0 + 5.0,
            esc(&short(name, 22)),
            y + 4.0,
            row_h - 8.0,
            esc(name),
            fmt(*value),
            label_w + bar + 8.0,
            y + row_h / 2.0 + 5.0,
            fmt(*value)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A funnel on a canvas `w` wide: centred bars, each with its count and its share of
/// the step before.
pub(crate) fn funnel(steps: &[(&str, u64)], color: &str, w: f64) -> String {
    let row_h = 50.0;
    let height = row_h * steps.len() as f64 + 4.0;
    let first = steps.first().map_or(0, |s| s.1).max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart funnel" viewBox="0 0 {w} {height}" role="img" aria-label="Funnel">"#
    );
    let full = w * 0.5;
    let center = full / 2.0 + 4.0;
    for (i, (name, n)) in steps.iter().enumerate() {
        let y = 2.0 + i as f64 * row_h;
        let bar = (*n as f64 / first as f64 * full).max(4.0);
        let share = match i {
            0 => String::new(),
            _ => {
                let before = steps[i - 1].1;
                if before == 0 {
                    " · –".to_owned()
                } else {
                    format!(
                        " · {:.0}% of the step before",
                        *n as f64 * 100.0 / before as f64
                    )
                }
            }
        };
        let _ = write!(
            svg,
            r#"<rect x="{:.1}" y="{y:.1}" width="{bar:.1}" height="{:.1}" rx="4" fill="{color}" opacity="{:.2}"><title>{}: {} users</title></rect><text class="label" x="{:.1}" y="{:.1}">{}</text><text class="value" x="{:.1}" y="{:.1}"><tspan class="big">{}</tspan><tspan class="muted">{}</tspan></text>"#,
            center - bar / 2.0,
            row_h - 8.0,
            1.0 - i as f64 * 0.2,
            esc(name),
            thousands(*n),
            center + full / 2.0 + 14.0,
            y + row_h / 2.0 - 6.0,
            esc(name),
            center + full / 2.0 + 14.0,
            y + row_h / 2.0 + 12.0,
            thousands(*n),
            esc(&share)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// One bar `w` wide split into shares, with the label of each wide enough part in it.
pub(crate) fn share_bar(label: &str, parts: &[(&str, u64, &str)], w: f64) -> String {
    let total: u64 = parts.iter().map(|p| p.1).sum();
    let height = 40.0;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {w} {height}" role="img" aria-label="{}">"#,
        esc(label)
    );
    if total == 0 {
        svg.push_str("</svg>");
        return svg;
    }
    let mut x = 0.0;
    for (name, n, color) in parts.iter().filter(|p| p.1 > 0) {
        let part = *n as f64 / total as f64 * w;
        let _ = write!(
            svg,
            r#"<rect x="{x:.2}" y="4" width="{part:.2}" height="32" fill="{color}"><title>{}: {} ({:.1}%)</title></rect>"#,
            esc(name),
            thousands(*n),
            *n as f64 * 100.0 / total as f64
        );
        if part > 70.0 {
            let _ = write!(
                svg,
                r#"<text class="inbar" x="{:.1}" y="25">{} {:.0}%</text>"#,
                x + 8.0,
                esc(name),
                *n as f64 * 100.0 / total as f64
            );
        }
        x += part;
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\x1B"
        );
        assert_eq!(short("abcdef", 4), "abc…");
    }

    #[test]
    fn steps() {
        assert_eq!(nice_step(0.75), 1);
        assert_eq!(nice_step(3.0), 5);
        assert_eq!(nice_step(120.0), 200);
    }

    #[test]
    fn charts_are_well_formed() {
        let layers = [Layer {
            name: "<b>",
            color: "#000",
            values: vec![1, 0, 3],
        }];
        let svg = stacked_bars("t", &layers, 0, 60, 200.0);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert_eq!(svg.matches("<rect").count(), 2);
        let empty = stacked_bars("t", &[], 0, 60, 200.0);
        assert!(empty.contains("No data"));
        assert!(hbars("h", &[("x".into(), 3, "#111")], &thousands, 540.0).contains(">3<"));
        assert!(funnel(&[("a", 4), ("b", 2)], "#111", 540.0).contains("50% of the step before"));
    }
}
