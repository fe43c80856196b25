//! A bitmap backend that draws its own text.
//!
//! plotters rasterises text through a process-wide font table, enabled by
//! a feature that every other user of plotters in the same build then has
//! to fill. This backend instead wraps [`BitMapBackend`] and draws text with
//! `ab_glyph` and the font shipped with the program, so PNG plots have
//! text without touching plotters' fonts (SVG plots need none: the viewer
//! draws their text).

use std::sync::OnceLock;

use ab_glyph::{Font, FontRef, PxScale, ScaleFont, point};
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// The typeface of PNG plots: DejaVu Sans cut down to ASCII and a few
/// symbols (licence in `font/LICENSE`).
const FONT: &[u8] = include_bytes!("font/DejaVuSans-subset.ttf");

fn font() -> Option<&'static FontRef<'static>> {
    static FONT_REF: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT_REF
        .get_or_init(|| FontRef::try_from_slice(FONT).ok())
        .as_ref()
}

/// A [`BitMapBackend`] whose text is drawn with the shipped font.
pub struct GlyphBackend<'a>(pub BitMapBackend<'a>);

type Result<E> = std::result::Result<(), DrawingErrorKind<E>>;

/// plotters' font sizes are the em height scaled by 1.24 (as its own
/// `ab_glyph` support does).
fn scale(size: f64) -> PxScale {
    PxScale::from(size as f32)
}

/// A line of text laid out from the top-left corner of its box: each
/// glyph's pen position, and the box's width and height.
fn layout(font: &FontRef<'static>, size: f64, text: &str) -> (Vec<(char, f32)>, f32, f32) {
    let scaled = font.as_scaled(scale(size));
    let mut x = 0.0f32;
    let mut prev = None;
    let mut pens = Vec::with_capacity(text.len());
    for c in text.chars() {
        let id = scaled.glyph_id(c);
        if let Some(p) = prev {
            x += scaled.kern(p, id);
        }
        pens.push((c, x));
        x += scaled.h_advance(id);
        prev = Some(id);
    }
    (pens, x, scaled.ascent() - scaled.descent())
}

impl<'a> DrawingBackend for GlyphBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.0.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<Self::ErrorType> {
        self.0.ensure_prepared()
    }

    fn present(&mut self) -> Result<Self::ErrorType> {
        self.0.present()
    }

    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Result<Self::ErrorType> {
        self.0.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.0.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.0.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.0.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<Self::ErrorType> {
        self.0.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<Self::ErrorType> {
        self.0.fill_polygon(vert, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<Self::ErrorType> {
        self.0.blit_bitmap(pos, size, src)
    }

    fn estimate_text_size<S: BackendTextStyle>(
        &self,
        text: &str,
        style: &S,
    ) -> std::result::Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        match font() {
            Some(font) => {
                let (_, w, h) = layout(font, style.size(), text);
                Ok((w.ceil() as u32, h.ceil() as u32))
            }
            None => self.0.estimate_text_size(text, style),
        }
    }

    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<Self::ErrorType> {
        let color = style.color();
        let Some(font) = font() else {
            // Without a usable font there is no text, rather than a panic.
            return Ok(());
        };
        if color.alpha == 0.0 {
            return Ok(());
        }
        let (pens, width, height) = layout(font, style.size(), text);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Right => -width,
            HPos::Center => -width / 2.0,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -height / 2.0,
            VPos::Bottom => -height,
        };
        let scaled = font.as_scaled(scale(style.size()));
        let baseline = scaled.ascent();
        let transform = style.transform();
        let mut pixels = Vec::new();
        for (c, pen) in pens {
            let glyph = scaled
                .glyph_id(c)
                .with_scale_and_position(scale(style.size()), point(pen, baseline));
            if let Some(outline) = font.outline_glyph(glyph) {
                let bounds = outline.px_bounds();
                outline.draw(|x, y, coverage| {
                    if coverage > 0.0 {
                        let gx = bounds.min.x + x as f32 + dx;
                        let gy = bounds.min.y + y as f32 + dy;
                        pixels.push((gx.round() as i32, gy.round() as i32, coverage));
                    }
                });
            }
        }
        for (x, y, coverage) in pixels {
            let (x, y) = transform.transform(x, y);
            let shade = BackendColor {
                alpha: color.alpha * f64::from(coverage.min(1.0)),
                rgb: color.rgb,
            };
            self.0.draw_pixel((pos.0 + x, pos.1 + y), shade)?;
        }
        Ok(())
    }
}
