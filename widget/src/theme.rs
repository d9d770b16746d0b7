//! Applies a brand theme: the theme's CSS custom properties (`--pc-*`, see
//! [`Theme::declarations`]) on the widget's element, for light and dark, as a
//! constructed stylesheet the loader adopts (so it works under a CSP without
//! `'unsafe-inline'`). The rules have no specificity to speak of: a page that sets
//! `--pc-*` on the element itself still wins.

use portcullis_shared::theme::{ButtonStyle, ColorScheme, Theme};

/// The stylesheet for `theme`.
pub fn stylesheet(theme: &Theme) -> String {
    // `:host` in the shadow root; the element itself (marked by the loader) in light DOM.
    let rule = |declarations: String| {
        format!(":host{{{declarations}}}:where([data-pc-themed]){{{declarations}}}")
    };
    // The widget's root inherits nothing from the page, so the scheme travels as a
    // custom property: widget.css sets the root's color-scheme from it.
    let mut css = match theme.color_scheme {
        ColorScheme::Auto => format!(
            "{}@media (prefers-color-scheme: dark){{{}}}",
            rule(theme.declarations(&theme.light) + "--_pc-scheme:light dark;"),
            rule(theme.declarations(&theme.dark))
        ),
        ColorScheme::Light => rule(theme.declarations(&theme.light) + "--_pc-scheme:light;"),
        ColorScheme::Dark => rule(theme.declarations(&theme.dark) + "--_pc-scheme:dark;"),
    };
    if theme.button == ButtonStyle::Outline {
        css.push_str(
            ".pc-root .pc-button:not(.pc-secondary){color:var(--_pc-accent);\
             background:transparent;border:2px solid var(--_pc-accent)}",
        );
    }
    css
}

#[cfg(test)]
mod tests {
    use super::*;

    fn preset(name: &str) -> Theme {
        Theme::preset(name).unwrap_or_else(|| unreachable!("{name} is a preset"))
    }

    #[test]
    fn auto_themes_follow_the_visitors_scheme() {
        let css = stylesheet(&preset("neutral"));
        let (light, dark) = css
            .split_once("@media (prefers-color-scheme: dark)")
            .unwrap_or_default();
        assert!(light.contains("--pc-bg:#ffffff;"), "{light}");
        assert!(dark.contains("--pc-bg:#161b22;"), "{dark}");
        assert!(light.starts_with(":host{") && light.contains(":where([data-pc-themed]){"));
    }

    #[test]
    fn forced_schemes_carry_one_palette_and_outline_buttons_their_rule() {
        let css = stylesheet(&preset("midnight"));
        assert!(!css.contains("@media"));
        assert!(css.contains("--pc-bg:#0b1020;") && css.contains("--_pc-scheme:dark;"));
        assert!(!css.contains("background:transparent"));
        assert!(stylesheet(&preset("high-contrast")).contains("background:transparent"));
    }
}
