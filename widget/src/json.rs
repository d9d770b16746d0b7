//! JSON text to and from the widget's types.
//!
//! In the browser the browser does the JSON (`JSON.parse`, `JSON.stringify`) and
//! serde-wasm-bindgen moves the values between JavaScript and serde's derives, so the
//! wasm carries no JSON parser or number formatting of its own. Native builds (the unit
//! tests) and the edge's build (`ssr`) use serde_json, which reads and writes the same
//! text.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::Serialize;

/// The text was not JSON, or not the JSON of the type asked for.
#[derive(Debug)]
pub struct Malformed(String);

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(all(target_arch = "wasm32", not(feature = "ssr")))]
mod imp {
    use super::*;
    use wasm_bindgen::JsValue;

    /// Maps as objects, `None` as `null`, whole numbers as numbers: what serde_json writes.
    fn serializer() -> serde_wasm_bindgen::Serializer {
        serde_wasm_bindgen::Serializer::json_compatible()
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Malformed> {
        let value = js_sys::JSON::parse(text).map_err(|_| Malformed("not JSON".into()))?;
        serde_wasm_bindgen::from_value(value).map_err(|_| Malformed("unexpected JSON".into()))
    }

    fn to_value<T: Serialize>(value: &T) -> Result<JsValue, Malformed> {
        value
            .serialize(&serializer())
            .map_err(|_| Malformed("not representable as JSON".into()))
    }

    pub fn to_string<T: Serialize>(value: &T) -> Result<String, Malformed> {
        stringify(&to_value(value)?, &JsValue::UNDEFINED)
    }

    pub fn to_string_pretty<T: Serialize>(value: &T) -> Result<String, Malformed> {
        stringify(&to_value(value)?, &JsValue::from_f64(2.0))
    }

    fn stringify(value: &JsValue, indent: &JsValue) -> Result<String, Malformed> {
        js_sys::JSON::stringify_with_replacer_and_space(value, &JsValue::NULL, indent)
            .map(String::from)
            .map_err(|_| Malformed("not representable as JSON".into()))
    }
}

#[cfg(not(all(target_arch = "wasm32", not(feature = "ssr"))))]
mod imp {
    use super::*;

    fn malformed(error: serde_json::Error) -> Malformed {
        Malformed(error.to_string())
    }

    pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, Malformed> {
        serde_json::from_str(text).map_err(malformed)
    }

    pub fn to_string<T: Serialize>(value: &T) -> Result<String, Malformed> {
        serde_json::to_string(value).map_err(malformed)
    }

    pub fn to_string_pretty<T: Serialize>(value: &T) -> Result<String, Malformed> {
        serde_json::to_string_pretty(value).map_err(malformed)
    }
}

pub use imp::*;
