//! Line charts with shaded bands, drawn to PNG and SVG with a bundled pure-Rust font.

use std::ops::Range;
use std::path::Path;
use std::sync::Once;

use anyhow::{Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::ranged1d::{BoldPoints, DefaultFormatting, KeyPointHint, LightPoints};
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::FontStyle;

/// DejaVu Sans (Bitstream Vera licence, see assets/): text needs no system font library.
const FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

/// Tableau 10: distinguishable, colour-blind-friendlier than the default palette.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // The bundled font is valid; a failure would only degrade text, not the data.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
}

/// One line (mean) with an optional band (e.g. min-max or a confidence interval).
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// Index into [`PALETTE`].
    pub color: usize,
    /// Abscissae.
    pub x: Vec<f64>,
    /// The line.
    pub y: Vec<f64>,
    /// Lower and upper band edges, if any.
    pub band: Option<(Vec<f64>, Vec<f64>)>,
    /// Dashed (used for reference curves such as the paper's).
    pub dashed: bool,
    /// Draw markers on the points (for sparse series).
    pub markers: bool,
}

/// Where the legend goes.
#[derive(Debug, Clone, Copy)]
pub enum Legend {
    /// Lower right (curves that rise).
    LowerRight,
    /// Upper right (curves that fall).
    UpperRight,
}

/// A chart: titles, axes and series.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// Smaller second line under the title (settings, reduced-run notes).
    pub subtitle: Option<String>,
    /// X axis description.
    pub x_label: String,
    /// Y axis description.
    pub y_label: String,
    /// Log scale on y (ticks at round numbers).
    pub log_y: bool,
    /// Log scale on x too.
    pub log_x: bool,
    /// Legend position.
    pub legend: Legend,
    /// The data.
    pub series: Vec<Series>,
}

fn transform(v: f64, log: bool) -> f64 {
    if log {
        if v > 0.0 { v.log10() } else { f64::NAN }
    } else {
        v
    }
}

/// Bold ticks (labelled) and light grid lines of an axis.
type Ticks = (Vec<f64>, Vec<f64>);

/// The most labelled ticks an axis gets (plotters' default).
const MAX_LABELS: usize = 11;

/// The ticks of a log axis over `lo..hi` (log10 values): round numbers m * 10^k, with m in
/// 1, 2, 5 (every m in 1..=9 when the range spans too little for four of those, only the
/// powers of ten, or every n-th, when it spans too much), and light lines at every m in 1..=9
/// where there are not too many. Evenly spaced log10 values would label 251, 316, 398, ...
fn log_ticks(lo: f64, hi: f64) -> Ticks {
    let (first, last) = (lo.floor() as i32, hi.ceil() as i32);
    let at = |mantissas: &[f64], every_nth_decade: usize| -> Vec<f64> {
        (first..=last)
            .step_by(every_nth_decade)
            .flat_map(|k| mantissas.iter().map(move |m| (m * 10f64.powi(k)).log10()))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let nine: Vec<f64> = (1..=9).map(f64::from).collect();
    let every = at(&nine, 1);
    let one_two_five = at(&[1.0, 2.0, 5.0], 1);
    let bold = if one_two_five.len() < 4 {
        every.clone()
    } else if one_two_five.len() > MAX_LABELS {
        let decades = (last - first + 1) as usize;
        at(&[1.0], decades.div_ceil(MAX_LABELS))
    } else {
        one_two_five
    };
    let light = if every.len() > 10 * MAX_LABELS {
        bold.clone()
    } else {
        every
    };
    (bold, light)
}

/// A linear axis with ticks of our choosing. (Plotters' `WithKeyPoints` would do, but leaves an
/// f64 axis without the label formatter its mesh needs.)
struct TickedAxis {
    linear: RangedCoordf64,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl TickedAxis {
    /// An axis over `lo..hi` with plotters' own ticks when linear, round numbers when log
    /// (whose coordinates are log10 values, see [`transform`]).
    fn new(lo: f64, hi: f64, log: bool) -> Self {
        let linear = RangedCoordf64::from(lo..hi);
        let (bold, light) = if log {
            log_ticks(lo, hi)
        } else {
            (
                linear.key_points(BoldPoints(MAX_LABELS)),
                linear.key_points(LightPoints::new(MAX_LABELS, 10 * MAX_LABELS)),
            )
        };
        Self { linear, bold, light }
    }
}

impl Ranged for TickedAxis {
    // Labels come from the chart's own formatter; this only satisfies the mesh's bound.
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.light.clone()
        } else {
            self.bold.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.linear.range()
    }
}

impl Chart {
    /// Writes `<stem>.png` and `<stem>.svg`.
    pub fn save(&self, stem: &Path) -> Result<()> {
        register_font();
        if let Some(dir) = stem.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // Drawn under a temporary name (the backends pick the format from the extension),
        // then renamed: a plot is never seen half written.
        let temporary = |ext: &str| {
            let name = stem.file_name().unwrap_or_default().to_string_lossy();
            stem.with_file_name(format!(".tmp-{}-{name}.{ext}", std::process::id()))
        };
        let (png, png_tmp) = (stem.with_extension("png"), temporary("png"));
        let (svg, svg_tmp) = (stem.with_extension("svg"), temporary("svg"));
        self.draw(BitMapBackend::new(&png_tmp, (1200, 800)).into_drawing_area())
            .map_err(|e| anyhow!("drawing {}: {e}", png.display()))?;
        std::fs::rename(&png_tmp, &png)?;
        self.draw(SVGBackend::new(&svg_tmp, (1200, 800)).into_drawing_area())
            .map_err(|e| anyhow!("drawing {}: {e}", svg.display()))?;
        std::fs::rename(&svg_tmp, &svg)?;
        Ok(())
    }

    fn bounds(&self) -> Option<(f64, f64, f64, f64)> {
        let mut b = (f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY, f64::NEG_INFINITY);
        for s in &self.series {
            let ys = s.y.iter().chain(s.band.iter().flat_map(|(lo, hi)| lo.iter().chain(hi)));
            for &x in &s.x {
                let x = transform(x, self.log_x);
                if x.is_finite() {
                    b.0 = b.0.min(x);
                    b.1 = b.1.max(x);
                }
            }
            for &y in ys {
                let y = transform(y, self.log_y);
                if y.is_finite() {
                    b.2 = b.2.min(y);
                    b.3 = b.3.max(y);
                }
            }
        }
        if !(b.0.is_finite() && b.2.is_finite()) {
            return None;
        }
        let pad = |lo: f64, hi: f64| {
            let span = if hi > lo { hi - lo } else { lo.abs().max(1.0) };
            (lo - 0.03 * span, hi + 0.03 * span)
        };
        let (x0, x1) = pad(b.0, b.1);
        let (y0, y1) = pad(b.2, b.3);
        Some((x0, x1, y0, y1))
    }

    fn draw<DB: DrawingBackend>(&self, root: DrawingArea<DB, Shift>) -> Result<(), Box<dyn std::error::Error + '_>>
    where
        DB::ErrorType: 'static,
    {
        root.fill(&WHITE)?;
        let root = match &self.subtitle {
            Some(sub) => {
                let (top, rest) = root.split_vertically(30);
                top.draw(&Text::new(
                    sub.clone(),
                    (70, 8),
                    ("sans-serif", 16).into_font().color(&RGBColor(90, 90, 90)),
                ))?;
                rest
            }
            None => root,
        };
        let Some((x0, x1, y0, y1)) = self.bounds() else {
            root.draw(&Text::new(
                format!("{}: no data", self.title),
                (50, 50),
                ("sans-serif", 24),
            ))?;
            root.present()?;
            return Ok(());
        };
        let mut cc = ChartBuilder::on(&root)
            .caption(&self.title, ("sans-serif", 26))
            .margin(18)
            .x_label_area_size(55)
            .y_label_area_size(80)
            .build_cartesian_2d(TickedAxis::new(x0, x1, self.log_x), TickedAxis::new(y0, y1, self.log_y))?;
        let (log_x, log_y) = (self.log_x, self.log_y);
        let fmt = move |v: &f64, log: bool| {
            if log {
                let x = 10f64.powf(*v);
                if (1e-3..1e5).contains(&x) {
                    // Three significant digits, no trailing zeros.
                    let digits = (2 - x.log10().floor() as i32).max(0) as usize;
                    let s = format!("{x:.digits$}");
                    if s.contains('.') {
                        s.trim_end_matches('0').trim_end_matches('.').to_owned()
                    } else {
                        s
                    }
                } else {
                    format!("{x:.1e}")
                }
            } else if v.abs() >= 1000.0 {
                format!("{v:.0}")
            } else {
                format!("{}", (v * 1000.0).round() / 1000.0)
            }
        };
        cc.configure_mesh()
            .x_desc(&self.x_label)
            .y_desc(&self.y_label)
            .axis_desc_style(("sans-serif", 20))
            .label_style(("sans-serif", 16))
            .x_label_formatter(&|v| fmt(v, log_x))
            .y_label_formatter(&|v| fmt(v, log_y))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let points = |xs: &[f64], ys: &[f64]| -> Vec<(f64, f64)> {
            xs.iter()
                .zip(ys)
                .map(|(&x, &y)| (transform(x, log_x), transform(y, log_y)))
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .collect()
        };
        for s in &self.series {
            let color = PALETTE[s.color % PALETTE.len()];
            if let Some((lo, hi)) = &s.band {
                let mut poly = points(&s.x, hi);
                let mut lower = points(&s.x, lo);
                lower.reverse();
                poly.extend(lower);
                if poly.len() > 2 {
                    cc.draw_series(std::iter::once(Polygon::new(poly, color.mix(0.18).filled())))?;
                }
            }
        }
        for s in &self.series {
            let color = PALETTE[s.color % PALETTE.len()];
            let style = color.stroke_width(if s.dashed { 2 } else { 3 });
            let pts = points(&s.x, &s.y);
            let anno = if s.dashed {
                cc.draw_series(DashedLineSeries::new(pts.clone(), 10, 6, style))?
            } else {
                cc.draw_series(LineSeries::new(pts.clone(), style))?
            };
            let dashed = s.dashed;
            anno.label(s.label.clone()).legend(move |(x, y)| {
                if dashed {
                    PathElement::new(vec![(x, y), (x + 8, y)], color.stroke_width(2))
                } else {
                    PathElement::new(vec![(x, y), (x + 22, y)], color.stroke_width(3))
                }
            });
            if s.markers {
                cc.draw_series(pts.iter().map(|&p| Circle::new(p, 3, color.filled())))?;
            }
        }
        cc.configure_series_labels()
            .position(match self.legend {
                Legend::LowerRight => SeriesLabelPosition::LowerRight,
                Legend::UpperRight => SeriesLabelPosition::UpperRight,
            })
            .background_style(WHITE.mix(0.85))
            .border_style(RGBColor(180, 180, 180))
            .label_font(("sans-serif", 16))
            .draw()?;
        root.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The values a log axis over `lo..hi` labels.
    fn labels(lo: f64, hi: f64) -> Vec<f64> {
        let (bold, light) = log_ticks(lo.log10(), hi.log10());
        assert!(bold.iter().all(|b| light.contains(b)), "every label has its grid line");
        bold.iter().map(|v| (10f64.powf(*v) * 1e6).round() / 1e6).collect()
    }

    #[test]
    fn log_ticks_are_round_numbers() {
        // Under a decade (Table 2's widths): every hundred.
        assert_eq!(
            labels(190.0, 1050.0),
            [200.0, 300.0, 400.0, 500.0, 600.0, 700.0, 800.0, 900.0, 1000.0]
        );
        // About a decade: 1, 2, 5.
        assert_eq!(labels(0.8, 14.0), [1.0, 2.0, 5.0, 10.0]);
        // Many decades: the powers of ten; more still: every n-th power.
        assert_eq!(labels(0.9e-5, 20.0), [1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1.0, 10.0]);
        let wide = labels(0.5e-13, 2e13);
        assert!((5..=MAX_LABELS).contains(&wide.len()), "{wide:?}");
    }
}
