//! A small SVG line chart for the scaling figures of `BENCHMARKS.md`: one
//! line per engine, linear or logarithmic axes, a legend. Written by hand
//! (a few primitives of SVG 1.1) so the benches need no plotting library.

use std::fmt::Write;

/// An axis: its label and scale.
#[derive(Debug, Clone)]
pub struct Axis {
    /// What the axis shows, with its unit.
    pub label: String,
    /// Logarithmic (base 10) rather than linear.
    pub log: bool,
}

impl Axis {
    /// A linear axis.
    pub fn linear(label: &str) -> Axis {
        Axis {
            label: label.to_owned(),
            log: false,
        }
    }

    /// A base-10 logarithmic axis (every value must be positive).
    pub fn log(label: &str) -> Axis {
        Axis {
            label: label.to_owned(),
            log: true,
        }
    }

    fn map(&self, v: f64) -> f64 {
        if self.log {
            v.max(f64::MIN_POSITIVE).log10()
        } else {
            v
        }
    }

    /// The range shown and the ticks (value, label) for data in `lo..=hi`.
    fn ticks(&self, lo: f64, hi: f64) -> (f64, f64, Vec<(f64, String)>) {
        if self.log {
            let lo = self.map(lo).floor();
            let hi = self.map(hi).ceil().max(lo + 1.0);
            let ticks = (lo as i32..=hi as i32)
                .map(|e| (f64::from(e), label(10f64.powi(e))))
                .collect();
            (lo, hi, ticks)
        } else {
            let lo = lo.min(0.0);
            let span = (hi - lo).max(f64::MIN_POSITIVE);
            let raw = span / 5.0;
            let magnitude = 10f64.powf(raw.log10().floor());
            let step = [1.0, 2.0, 5.0, 10.0]
                .into_iter()
                .map(|m| m * magnitude)
                .find(|s| *s >= raw)
                .unwrap_or(10.0 * magnitude);
            let hi = (hi / step).ceil() * step;
            let count = ((hi - lo) / step).round() as usize;
            let ticks = (0..=count)
                .map(|i| {
                    let v = lo + step * i as f64;
                    (v, label(v))
                })
                .collect();
            (lo, hi, ticks)
        }
    }
}

/// A tick label: short, with SI-style suffixes for big numbers.
fn label(v: f64) -> String {
    match v.abs() {
        x if x >= 1e6 => format!("{}M", trim(v / 1e6)),
        x if x >= 1e3 => format!("{}k", trim(v / 1e3)),
        _ => trim(v),
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// One line: a name for the legend and its points (x, y).
#[derive(Debug, Clone)]
pub struct Series {
    /// The legend's text.
    pub name: String,
    /// The points, in x order.
    pub points: Vec<(f64, f64)>,
}

/// A line chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// The title above the plot.
    pub title: String,
    /// The horizontal axis.
    pub x: Axis,
    /// The vertical axis.
    pub y: Axis,
    /// The lines.
    pub series: Vec<Series>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 150.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const COLOURS: [&str; 6] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf",
];

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

impl Chart {
    /// The chart as a standalone SVG document.
    pub fn svg(&self) -> String {
        let points = || self.series.iter().flat_map(|s| s.points.iter().copied());
        let bounds = |f: fn((f64, f64)) -> f64| {
            points()
                .map(f)
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(v), hi.max(v))
                })
        };
        let (x_lo, x_hi) = bounds(|p| p.0);
        let (y_lo, y_hi) = bounds(|p| p.1);
        let (x_lo, x_hi) = if x_lo.is_finite() {
            (x_lo, x_hi)
        } else {
            (1.0, 10.0)
        };
        let (y_lo, y_hi) = if y_lo.is_finite() {
            (y_lo, y_hi)
        } else {
            (1.0, 10.0)
        };
        let (x0, x1, x_ticks) = self.x.ticks(x_lo, x_hi);
        let (y0, y1, y_ticks) = self.y.ticks(y_lo, y_hi);
        let plot_w = WIDTH - LEFT - RIGHT;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let sx = |v: f64| LEFT + (v - x0) / (x1 - x0) * plot_w;
        let sy = |v: f64| TOP + plot_h - (v - y0) / (y1 - y0) * plot_h;

        let mut s = String::new();
        let _ = write!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{}" y="22" text-anchor="middle" font-size="14" font-weight="bold">{}</text>
"#,
            LEFT + plot_w / 2.0,
            escape(&self.title)
        );
        for (v, text) in &x_ticks {
            let x = sx(*v);
            let _ = writeln!(
                s,
                r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#e0e0e0"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                TOP + plot_h,
                TOP + plot_h + 16.0,
                escape(text)
            );
        }
        for (v, text) in &y_ticks {
            let y = sy(*v);
            let _ = writeln!(
                s,
                r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e0e0e0"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                LEFT + plot_w,
                LEFT - 6.0,
                y + 4.0,
                escape(text)
            );
        }
        let _ = writeln!(
            s,
            r##"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>
<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>
<text transform="translate(16 {:.1}) rotate(-90)" text-anchor="middle">{}</text>"##,
            LEFT + plot_w / 2.0,
            HEIGHT - 12.0,
            escape(&self.x.label),
            TOP + plot_h / 2.0,
            escape(&self.y.label)
        );
        for (i, series) in self.series.iter().enumerate() {
            let colour = COLOURS[i % COLOURS.len()];
            let path: Vec<String> = series
                .points
                .iter()
                .map(|&(x, y)| format!("{:.1},{:.1}", sx(self.x.map(x)), sy(self.y.map(y))))
                .collect();
            let _ = writeln!(
                s,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
                path.join(" ")
            );
            for p in &path {
                let (cx, cy) = p.split_once(',').unwrap_or(("0", "0"));
                let _ = writeln!(s, r#"<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>"#);
            }
            let ly = TOP + 10.0 + 20.0 * i as f64;
            let lx = LEFT + plot_w + 12.0;
            let _ = writeln!(
                s,
                r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{colour}" stroke-width="2"/><text x="{}" y="{}">{}</text>"#,
                lx + 20.0,
                lx + 26.0,
                ly + 4.0,
                escape(&series.name)
            );
        }
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_places_its_points_inside_the_plot() {
        let chart = Chart {
            title: "t <1>".into(),
            x: Axis::log("x"),
            y: Axis::linear("y"),
            series: vec![Series {
                name: "a".into(),
                points: vec![(1.0, 0.0), (1000.0, 42.0)],
            }],
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("t &lt;1&gt;"), "the title is escaped");
        assert!(svg.contains(">1k<"), "a log tick at 1000");
        // The first point sits on the left edge and the bottom of the plot.
        assert!(
            svg.contains(&format!("{:.1},{:.1}", LEFT, HEIGHT - BOTTOM)),
            "{svg}"
        );
    }
}
