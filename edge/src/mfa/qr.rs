//! QR codes as SVG, drawn on the edge so an enrolment needs no image service and the
//! secret never leaves the page it is shown on.

use qrcodegen::{QrCode, QrCodeEcc};

/// Modules of quiet zone around the code (ISO/IEC 18004 §6.3.8 asks for four).
const QUIET_ZONE: i32 = 4;

/// `text` as a QR code (error correction level M), an SVG document whose dark modules
/// are one path. `None` only for text too long for any QR code.
pub fn svg(text: &str) -> Option<String> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).ok()?;
    let size = code.size();
    let mut path = String::new();
    for y in 0..size {
        for x in 0..size {
            if code.get_module(x, y) {
                path.push_str(&format!("M{},{}h1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE));
            }
        }
    }
    let full = size + 2 * QUIET_ZONE;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {full} {full}\" \
         shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" fill=\"#fff\"/>\
         <path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_qr_code_is_one_svg_document_with_a_quiet_zone() {
        let svg = svg("otpauth://totp/Demo:ada%40example.com?secret=GEZDGNBV&issuer=Demo")
            .unwrap_or_default();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        // Version 4 or so: 33 modules and 8 of quiet zone, at least.
        assert!(svg.contains("viewBox=\"0 0 "));
        assert!(svg.contains("M4,4h1v1h-1z"), "the finder pattern's corner");
        assert!(!svg.contains("<script"));
    }
}
