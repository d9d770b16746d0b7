//! Brand themes: colours for light and dark, corner radius, spacing, font stack, logo and
//! button style. A theme is data: set per client on the edge (served with the client's
//! public configuration) or per page, and applied by the widget as CSS custom properties
//! (`--pc-bg`, `--pc-fg`, …; see [`Theme::declarations`]).
//!
//! Every value is checked before it reaches CSS ([`Theme::validate`]): colours are
//! `#rrggbb`, lengths are bounded integers, the font stack and logo URL cannot break out
//! of a declaration. The presets meet WCAG 2.2 AA contrast ([`Theme::contrast_problems`]
//! is empty for each, which the tests check).

use serde::{Deserialize, Serialize};

/// The colours of one scheme. Each is `#rrggbb`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Palette {
    /// The card's background.
    pub bg: String,
    /// Body text.
    pub fg: String,
    /// Secondary text (hints, dates).
    pub muted: String,
    /// Input and card borders.
    pub border: String,
    /// Buttons, links and the focus ring.
    pub accent: String,
    /// Text on `accent`.
    pub accent_fg: String,
    /// Error messages.
    pub error: String,
}

/// Which palette applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColorScheme {
    /// Follows the visitor's `prefers-color-scheme`.
    Auto,
    Light,
    Dark,
}

/// How primary buttons look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ButtonStyle {
    /// Filled with the accent colour.
    Solid,
    /// Accent-coloured outline and text.
    Outline,
    /// Filled, fully rounded ends.
    Pill,
}

/// A complete theme.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Theme {
    pub light: Palette,
    pub dark: Palette,
    pub color_scheme: ColorScheme,
    /// Corner radius in CSS pixels, 0–24.
    pub radius_px: u8,
    /// The spacing unit in CSS pixels, 8–32; gaps and padding are multiples of it.
    pub space_px: u8,
    /// A CSS font-family list, e.g. `"Inter", system-ui, sans-serif`.
    pub font: String,
    pub button: ButtonStyle,
    /// Shown above the title; `https:` (or `http://localhost`) only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

/// Why a theme was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidTheme(pub String);

/// The preset names, for option lists and documentation.
pub const PRESETS: [&str; 4] = ["neutral", "high-contrast", "playful", "midnight"];

fn palette(colours: [&str; 7]) -> Palette {
    let [bg, fg, muted, border, accent, accent_fg, error] = colours.map(String::from);
    Palette {
        bg,
        fg,
        muted,
        border,
        accent,
        accent_fg,
        error,
    }
}

const SYSTEM_FONT: &str =
    "system-ui, -apple-system, \"Segoe UI\", Roboto, \"Noto Sans\", sans-serif";

impl Theme {
    /// A preset by name (see [`PRESETS`]).
    pub fn preset(name: &str) -> Option<Theme> {
        let theme = match name {
            // Quiet greys and a blue accent; follows the visitor's light or dark mode.
            "neutral" => Theme {
                light: palette([
                    "#ffffff", "#1b1f24", "#57606a", "#868e96", "#0b5cad", "#ffffff", "#b3261e",
                ]),
                dark: palette([
                    "#161b22", "#e6edf3", "#9da7b3", "#6e7781", "#4493f8", "#0d1117", "#ff7b72",
                ]),
                color_scheme: ColorScheme::Auto,
                radius_px: 8,
                space_px: 16,
                font: SYSTEM_FONT.into(),
                button: ButtonStyle::Solid,
                logo_url: None,
            },
            // Black on white (white on black in dark mode), heavy borders, square corners.
            "high-contrast" => Theme {
                light: palette([
                    "#ffffff", "#000000", "#2b2b2b", "#000000", "#0000c8", "#ffffff", "#a50000",
                ]),
                dark: palette([
                    "#000000", "#ffffff", "#e0e0e0", "#ffffff", "#ffd400", "#000000", "#ff8a80",
                ]),
                color_scheme: ColorScheme::Auto,
                radius_px: 0,
                space_px: 18,
                font: SYSTEM_FONT.into(),
                button: ButtonStyle::Outline,
                logo_url: None,
            },
            // Warm paper, violet accent, round corners and pill buttons.
            "playful" => Theme {
                light: palette([
                    "#fffaf3", "#2d1b4e", "#5e4b7a", "#9a86b8", "#7b2fd0", "#ffffff", "#b0243a",
                ]),
                dark: palette([
                    "#1e1433", "#f6f0ff", "#c9b8e6", "#7c66a3", "#c59bff", "#1e1433", "#ff8fa3",
                ]),
                color_scheme: ColorScheme::Auto,
                radius_px: 20,
                space_px: 18,
                font: "ui-rounded, \"Nunito\", system-ui, sans-serif".into(),
                button: ButtonStyle::Pill,
                logo_url: None,
            },
            // Always dark: slate and sky blue.
            "midnight" => Theme {
                light: palette([
                    "#0f172a", "#e2e8f0", "#a5b4c8", "#64748b", "#38bdf8", "#0f172a", "#fca5a5",
                ]),
                dark: palette([
                    "#0b1020", "#e2e8f0", "#a5b4c8", "#5b6b82", "#38bdf8", "#0b1020", "#fca5a5",
                ]),
                color_scheme: ColorScheme::Dark,
                radius_px: 12,
                space_px: 16,
                font: SYSTEM_FONT.into(),
                button: ButtonStyle::Solid,
                logo_url: None,
            },
            _ => return None,
        };
        Some(theme)
    }

    /// Refuses values that are not what they claim or could escape their declaration.
    pub fn validate(&self) -> Result<(), InvalidTheme> {
        for (scheme, palette) in [("light", &self.light), ("dark", &self.dark)] {
            for (name, colour) in palette.entries() {
                if parse_hex(colour).is_none() {
                    return Err(InvalidTheme(format!(
                        "{scheme}.{name} must be a #rrggbb colour"
                    )));
                }
            }
        }
        if self.radius_px > 24 {
            return Err(InvalidTheme("radius_px must be 0–24".into()));
        }
        if !(8..=32).contains(&self.space_px) {
            return Err(InvalidTheme("space_px must be 8–32".into()));
        }
        let font_ok = !self.font.trim().is_empty()
            && self.font.len() <= 200
            && self
                .font
                .chars()
                .all(|c| c.is_alphanumeric() || " ,-_\"'".contains(c));
        if !font_ok {
            return Err(InvalidTheme(
                "font must be a font-family list (letters, digits, spaces, commas, quotes, hyphens)"
                    .into(),
            ));
        }
        if let Some(url) = &self.logo_url {
            let secure = url.starts_with("https://")
                || url.starts_with("http://localhost:")
                || url.starts_with("http://localhost/");
            let clean = url.len() <= 2048
                && !url
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "\"'()<>\\".contains(c));
            if !secure || !clean {
                return Err(InvalidTheme(
                    "logo_url must be an https URL without quotes, brackets or spaces".into(),
                ));
            }
        }
        Ok(())
    }

    /// The WCAG 2.2 AA contrast failures of both palettes: text (1.4.3, 4.5:1) for body,
    /// secondary, error and link text and for text on buttons; non-text (1.4.11, 3:1)
    /// for input borders.
    pub fn contrast_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (scheme, p) in [("light", &self.light), ("dark", &self.dark)] {
            let pairs = [
                ("fg on bg", &p.fg, &p.bg, 4.5),
                ("muted on bg", &p.muted, &p.bg, 4.5),
                ("error on bg", &p.error, &p.bg, 4.5),
                ("accent on bg", &p.accent, &p.bg, 4.5),
                ("accent_fg on accent", &p.accent_fg, &p.accent, 4.5),
                ("border on bg", &p.border, &p.bg, 3.0),
            ];
            for (what, a, b, minimum) in pairs {
                match contrast(a, b) {
                    Some(ratio) if ratio >= minimum => {}
                    Some(ratio) => problems.push(format!(
                        "{scheme}: {what} is {ratio:.2}:1, below {minimum}:1"
                    )),
                    None => problems.push(format!("{scheme}: {what} is not a colour")),
                }
            }
        }
        problems
    }

    /// CSS declarations (`--pc-bg:#ffffff;…`) for `palette`, with the theme's shape.
    pub fn declarations(&self, palette: &Palette) -> String {
        let mut css = String::new();
        for (name, colour) in palette.entries() {
            css.push_str(&format!("--pc-{}:{colour};", name.replace('_', "-")));
        }
        let button_radius = match self.button {
            ButtonStyle::Pill => "999px".to_string(),
            _ => format!("{}px", self.radius_px),
        };
        css.push_str(&format!(
            "--pc-radius:{}px;--pc-button-radius:{button_radius};--pc-space:{}px;--pc-font:{};",
            self.radius_px, self.space_px, self.font
        ));
        css
    }
}

impl Palette {
    /// `(name, colour)` of every colour, in declaration order.
    pub fn entries(&self) -> [(&'static str, &str); 7] {
        [
            ("bg", &self.bg),
            ("fg", &self.fg),
            ("muted", &self.muted),
            ("border", &self.border),
            ("accent", &self.accent),
            ("accent_fg", &self.accent_fg),
            ("error", &self.error),
        ]
    }
}

fn parse_hex(colour: &str) -> Option<[u8; 3]> {
    let hex = colour.strip_prefix('#')?;
    if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).ok();
    Some([channel(0)?, channel(2)?, channel(4)?])
}

/// WCAG 2.2 relative luminance of an sRGB colour.
fn luminance(rgb: [u8; 3]) -> f64 {
    let linear = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * linear(rgb[0]) + 0.7152 * linear(rgb[1]) + 0.0722 * linear(rgb[2])
}

/// The WCAG 2.2 contrast ratio of two `#rrggbb` colours (1–21).
pub fn contrast(a: &str, b: &str) -> Option<f64> {
    let (la, lb) = (luminance(parse_hex(a)?), luminance(parse_hex(b)?));
    let (hi, lo) = if la > lb { (la, lb) } else { (lb, la) };
    Some((hi + 0.05) / (lo + 0.05))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_matches_the_wcag_extremes_and_a_known_pair() {
        assert_eq!(contrast("#000000", "#ffffff"), Some(21.0));
        assert_eq!(contrast("#777777", "#777777"), Some(1.0));
        // #767676 on white is the classic 4.54:1.
        let ratio = contrast("#767676", "#ffffff").unwrap_or_default();
        assert!((ratio - 4.54).abs() < 0.01, "{ratio}");
        assert_eq!(contrast("red", "#ffffff"), None);
    }

    #[test]
    fn every_preset_is_valid_and_meets_wcag_aa_contrast_in_both_schemes() {
        for name in PRESETS {
            let theme = Theme::preset(name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(theme.validate(), Ok(()), "{name}");
            assert_eq!(theme.contrast_problems(), Vec::<String>::new(), "{name}");
        }
        assert_eq!(Theme::preset("nope"), None);
    }

    #[test]
    fn low_contrast_is_reported() {
        let mut theme = Theme::preset("neutral").unwrap_or_else(|| unreachable!());
        theme.light.muted = "#bbbbbb".into();
        let problems = theme.contrast_problems();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("light: muted on bg"));
    }

    #[test]
    fn values_that_could_escape_css_are_refused() {
        let base = Theme::preset("neutral").unwrap_or_else(|| unreachable!());
        let mut colour = base.clone();
        colour.dark.accent = "red;}body{display:none".into();
        assert!(colour.validate().is_err());
        let mut font = base.clone();
        font.font = "x;}:root{--pc-bg:red".into();
        assert!(font.validate().is_err());
        let mut logo = base.clone();
        logo.logo_url = Some("javascript:alert(1)".into());
        assert!(logo.validate().is_err());
        logo.logo_url = Some("https://cdn.example/logo.svg\")".into());
        assert!(logo.validate().is_err());
        logo.logo_url = Some("https://cdn.example/logo.svg".into());
        assert_eq!(logo.validate(), Ok(()));
        let mut spacing = base;
        spacing.space_px = 100;
        assert!(spacing.validate().is_err());
    }

    #[test]
    fn declarations_name_every_token() {
        let theme = Theme::preset("playful").unwrap_or_else(|| unreachable!());
        let css = theme.declarations(&theme.light);
        for token in [
            "--pc-bg:#fffaf3;",
            "--pc-accent-fg:#ffffff;",
            "--pc-radius:20px;",
            "--pc-button-radius:999px;",
            "--pc-space:18px;",
            "--pc-font:ui-rounded",
        ] {
            assert!(css.contains(token), "{token} in {css}");
        }
    }

    #[test]
    fn themes_round_trip_as_json() {
        let theme = Theme::preset("midnight").unwrap_or_else(|| unreachable!());
        let json = serde_json::to_value(&theme).unwrap_or_default();
        assert_eq!(json["color_scheme"], "dark");
        assert_eq!(json["button"], "solid");
        let back: Theme = serde_json::from_value(json).unwrap_or_else(|_| unreachable!());
        assert_eq!(back, theme);
    }
}
