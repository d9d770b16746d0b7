//! Proof Key for Code Exchange (RFC 7636) for embedded flows, with the browser's WebCrypto.
//!
//! The widget keeps the verifier in memory for the life of one flow; only the challenge
//! leaves the page before the code is redeemed at `/token`.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::JsFuture;

/// `code_challenge_method` (RFC 7636 §4.2): the only one the edge accepts.
pub const METHOD: &str = "S256";

/// A fresh verifier and its S256 challenge.
pub struct Pkce {
    /// §4.1 `code_verifier`: kept by the widget, sent only to `/token`.
    pub verifier: String,
    /// §4.2 `code_challenge = BASE64URL(SHA256(ASCII(code_verifier)))`.
    pub challenge: String,
}

impl Pkce {
    /// §4.1: "It is RECOMMENDED that the output of a suitable random number generator be
    /// used to create a 32-octet sequence. The octet sequence is then base64url-encoded
    /// to produce a 43-octet URL safe string to use as the code verifier."
    pub async fn generate() -> Result<Pkce, JsValue> {
        let crypto = web_sys::window()
            .ok_or_else(|| JsValue::from_str("no window"))?
            .crypto()?;
        let mut octets = [0u8; 32];
        crypto.get_random_values_with_u8_array(&mut octets)?;
        let verifier = base64url(&octets);
        // digest() copies its input when called (WebCrypto §14.3.5 step 2), so a view
        // into wasm memory is safe here.
        let digest = crypto
            .subtle()
            .digest_with_str_and_u8_array("SHA-256", verifier.as_bytes())?;
        let digest = js_sys::Uint8Array::new(&JsFuture::from(digest).await?).to_vec();
        Ok(Pkce {
            challenge: base64url(&digest),
            verifier,
        })
    }
}

/// Base64url without padding (RFC 7636 Appendix A, RFC 4648 §5).
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        // A chunk of k bytes yields k + 1 characters; the rest would be padding.
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::base64url;

    /// RFC 7636 Appendix B: the 32 octets of the example verifier and its encoding, and
    /// the SHA-256 of that verifier and the resulting challenge.
    #[test]
    fn rfc7636_appendix_b_encodings() {
        let verifier_octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        assert_eq!(
            base64url(&verifier_octets),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        let challenge_octets = [
            19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120,
            173, 109, 241, 68, 86, 110, 225, 137, 74, 203, 112, 249, 195,
        ];
        assert_eq!(
            base64url(&challenge_octets),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    /// RFC 4648 §10 test vectors, without padding and in the URL-safe alphabet.
    #[test]
    fn rfc4648_vectors_unpadded() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), output);
        }
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }
}
