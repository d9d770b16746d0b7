//! ES256 through WebCrypto (`crypto.subtle.sign` with ECDSA P-256 and SHA-256): the
//! runtime's native code instead of `p256` compiled to wasm. The opened key is imported
//! once per key ring as a non-extractable `CryptoKey`; the wasm copy is dropped.
//!
//! WebCrypto's ECDSA signature is already the JOSE form (RFC 7518 §3.4: `r ‖ s`, 64
//! bytes), not DER.

use async_trait::async_trait;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::crypto::es256::Es256Signer;
use crate::ports::{SignError, Signer, SignerFactory};

/// Imports keys into WebCrypto; with `software`, signs with `p256` instead (the
/// `SIGNING=software` variable, to compare the two).
pub struct WebCryptoSigners {
    pub software: bool,
}

#[async_trait(?Send)]
impl SignerFactory for WebCryptoSigners {
    async fn signer(&self, key: Es256Signer) -> Box<dyn Signer> {
        if self.software {
            return Box::new(key);
        }
        match WebCryptoSigner::import(&key).await {
            Ok(signer) => Box::new(signer),
            Err(err) => {
                // Still signs, only slower.
                worker::console_error!("WebCrypto key import failed, signing with p256: {err:?}");
                Box::new(key)
            }
        }
    }
}

/// An ES256 key held by WebCrypto.
struct WebCryptoSigner {
    key_id: String,
    subtle: Object,
    key: JsValue,
    params: Object,
}

fn set(object: &Object, name: &str, value: &JsValue) -> Result<(), JsValue> {
    Reflect::set(object, &JsValue::from_str(name), value).map(|_| ())
}

fn method(object: &Object, name: &str) -> Result<Function, JsValue> {
    Reflect::get(object, &JsValue::from_str(name))?.dyn_into()
}

async fn call(object: &Object, name: &str, args: &Array) -> Result<JsValue, JsValue> {
    let promise: Promise = method(object, name)?.apply(object, args)?.dyn_into()?;
    JsFuture::from(promise).await
}

impl WebCryptoSigner {
    async fn import(key: &Es256Signer) -> Result<WebCryptoSigner, JsValue> {
        let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
        let subtle: Object = Reflect::get(&crypto, &JsValue::from_str("subtle"))?.dyn_into()?;
        let (x, y, d) = key.private_jwk_members();
        let jwk = Object::new();
        for (name, value) in [
            ("kty", "EC"),
            ("crv", "P-256"),
            ("x", &x),
            ("y", &y),
            ("d", &d),
        ] {
            set(&jwk, name, &JsValue::from_str(value))?;
        }
        let algorithm = Object::new();
        set(&algorithm, "name", &JsValue::from_str("ECDSA"))?;
        set(&algorithm, "namedCurve", &JsValue::from_str("P-256"))?;
        let usages = Array::of1(&JsValue::from_str("sign"));
        let args = Array::of5(
            &JsValue::from_str("jwk"),
            &jwk,
            &algorithm,
            // Not extractable: the key never comes back out of WebCrypto.
            &JsValue::FALSE,
            &usages,
        );
        let imported = call(&subtle, "importKey", &args).await?;
        let params = Object::new();
        set(&params, "name", &JsValue::from_str("ECDSA"))?;
        set(&params, "hash", &JsValue::from_str("SHA-256"))?;
        Ok(WebCryptoSigner {
            key_id: crate::ports::Signer::key_id(key).to_string(),
            subtle,
            key: imported,
            params,
        })
    }
}

#[async_trait(?Send)]
impl Signer for WebCryptoSigner {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn algorithm(&self) -> &'static str {
        "ES256"
    }

    async fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignError> {
        let data = Uint8Array::from(message);
        let args = Array::of3(&self.params, &self.key, &data);
        let signature = call(&self.subtle, "sign", &args)
            .await
            .map_err(|e| SignError(format!("WebCrypto sign: {e:?}")))?;
        let bytes = Uint8Array::new(&signature).to_vec();
        if bytes.len() != 64 {
            return Err(SignError(format!(
                "WebCrypto signature of {} bytes",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}
