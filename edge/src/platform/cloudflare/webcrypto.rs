//! ES256 through WebCrypto (`crypto.subtle.sign` and `verify` with ECDSA P-256 and
//! SHA-256): the runtime's native code instead of `p256` compiled to wasm. The opened key
//! is imported once per key ring as a non-extractable `CryptoKey`; the wasm copy is
//! dropped. The published keys are imported once per key ring too, to check our own
//! tokens when they come back.
//!
//! WebCrypto's ECDSA signature is already the JOSE form (RFC 7518 §3.4: `r ‖ s`, 64
//! bytes), not DER.

use async_trait::async_trait;
use js_sys::{Array, Function, Object, Promise, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

use crate::crypto::es256::Es256Signer;
use crate::federation::id_token::Algorithm;
use crate::oauth::jwks::JwkSet;
use crate::oauth::key_ring::{by_kid, SoftwareCheck};
use crate::ports::{
    JwsVerifier, SignError, SignatureCheck, Signer, SignerFactory, VerifyUnavailable,
};

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

    async fn check(&self, published: &JwkSet) -> Box<dyn SignatureCheck> {
        if self.software {
            return Box::new(SoftwareCheck::new(published));
        }
        match WebCryptoCheck::import(published).await {
            Ok(check) => Box::new(check),
            Err(err) => {
                // Still checks, only slower.
                worker::console_error!("WebCrypto key import failed, verifying with p256: {err:?}");
                Box::new(SoftwareCheck::new(published))
            }
        }
    }
}

/// The published ES256 keys held by WebCrypto, by `kid`.
struct WebCryptoCheck {
    subtle: Object,
    keys: Vec<(String, JsValue)>,
    params: Object,
}

fn subtle() -> Result<Object, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    Reflect::get(&crypto, &JsValue::from_str("subtle"))?.dyn_into()
}

/// `{name: "ECDSA", namedCurve: "P-256"}` and `{name: "ECDSA", hash: "SHA-256"}`.
fn ecdsa_p256() -> Result<(Object, Object), JsValue> {
    let algorithm = Object::new();
    set(&algorithm, "name", &JsValue::from_str("ECDSA"))?;
    set(&algorithm, "namedCurve", &JsValue::from_str("P-256"))?;
    let params = Object::new();
    set(&params, "name", &JsValue::from_str("ECDSA"))?;
    set(&params, "hash", &JsValue::from_str("SHA-256"))?;
    Ok((algorithm, params))
}

/// Imports a JWK of `members` for `usage`, never extractable.
async fn import_jwk(
    subtle: &Object,
    members: &[(&str, &str)],
    algorithm: &Object,
    usage: &str,
) -> Result<JsValue, JsValue> {
    let jwk = Object::new();
    for (name, value) in members {
        set(&jwk, name, &JsValue::from_str(value))?;
    }
    let args = Array::of5(
        &JsValue::from_str("jwk"),
        &jwk,
        algorithm,
        &JsValue::FALSE,
        &Array::of1(&JsValue::from_str(usage)),
    );
    call(subtle, "importKey", &args).await
}

impl WebCryptoCheck {
    async fn import(published: &JwkSet) -> Result<WebCryptoCheck, JsValue> {
        let subtle = subtle()?;
        let (algorithm, params) = ecdsa_p256()?;
        let mut keys = Vec::new();
        for jwk in &published.keys {
            let members = [
                ("kty", jwk.kty.as_str()),
                ("crv", jwk.crv.as_str()),
                ("x", jwk.x.as_str()),
                ("y", jwk.y.as_str()),
            ];
            let key = import_jwk(&subtle, &members, &algorithm, "verify").await?;
            keys.push((jwk.kid.clone(), key));
        }
        Ok(WebCryptoCheck {
            subtle,
            keys,
            params,
        })
    }
}

#[async_trait(?Send)]
impl SignatureCheck for WebCryptoCheck {
    fn knows(&self, kid: &str) -> bool {
        by_kid(&self.keys, kid).is_some()
    }

    async fn verifies(&self, kid: &str, message: &[u8], signature: &[u8]) -> bool {
        // RFC 7518 §3.4: an ES256 signature is exactly `r ‖ s`, 64 bytes.
        let Some(key) = by_kid(&self.keys, kid).filter(|_| signature.len() == 64) else {
            return false;
        };
        let args = Array::of4(
            &self.params,
            key,
            &Uint8Array::from(signature),
            &Uint8Array::from(message),
        );
        call(&self.subtle, "verify", &args)
            .await
            .is_ok_and(|valid| valid.as_bool() == Some(true))
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
        let subtle = subtle()?;
        let (x, y, d) = key.private_jwk_members();
        let (algorithm, params) = ecdsa_p256()?;
        let members = [
            ("kty", "EC"),
            ("crv", "P-256"),
            ("x", x.as_str()),
            ("y", y.as_str()),
            ("d", d.as_str()),
        ];
        // Not extractable: the key never comes back out of WebCrypto.
        let imported = import_jwk(&subtle, &members, &algorithm, "sign").await?;
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

/// Sign-in providers' ID token signatures through WebCrypto `verify`: RSASSA-PKCS1-v1_5
/// and ECDSA P-256, both with SHA-256 (RS256, ES256), in the runtime's native code.
pub struct WebCryptoJws;

impl WebCryptoJws {
    /// The public members of `jwk` that WebCrypto needs, nothing else (`key_ops` or
    /// `ext` from the provider could only make the import fail).
    fn public_jwk(algorithm: Algorithm, jwk: &serde_json::Value) -> Result<Object, JsValue> {
        let members: &[&str] = match algorithm {
            Algorithm::Rs256 => &["kty", "n", "e"],
            Algorithm::Es256 => &["kty", "crv", "x", "y"],
        };
        let object = Object::new();
        for name in members {
            let value = jwk
                .get(*name)
                .and_then(|v| v.as_str())
                .ok_or_else(|| JsValue::from_str(&format!("JWK without {name}")))?;
            set(&object, name, &JsValue::from_str(value))?;
        }
        Ok(object)
    }

    async fn check(
        algorithm: Algorithm,
        jwk: &serde_json::Value,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, JsValue> {
        let subtle = subtle()?;
        let import = Object::new();
        let verify = Object::new();
        match algorithm {
            Algorithm::Rs256 => {
                set(&import, "name", &JsValue::from_str("RSASSA-PKCS1-v1_5"))?;
                set(&import, "hash", &JsValue::from_str("SHA-256"))?;
                set(&verify, "name", &JsValue::from_str("RSASSA-PKCS1-v1_5"))?;
            }
            Algorithm::Es256 => {
                set(&import, "name", &JsValue::from_str("ECDSA"))?;
                set(&import, "namedCurve", &JsValue::from_str("P-256"))?;
                set(&verify, "name", &JsValue::from_str("ECDSA"))?;
                set(&verify, "hash", &JsValue::from_str("SHA-256"))?;
            }
        }
        let public = Self::public_jwk(algorithm, jwk)?;
        let args = Array::of5(
            &JsValue::from_str("jwk"),
            &public,
            &import,
            &JsValue::FALSE,
            &Array::of1(&JsValue::from_str("verify")),
        );
        let key = call(&subtle, "importKey", &args).await?;
        // Copies: WebCrypto must not see wasm memory that may move under it.
        let signature = Uint8Array::from(signature);
        let data = Uint8Array::from(signing_input);
        let args = Array::of4(&verify, &key, &signature, &data);
        Ok(call(&subtle, "verify", &args).await?.as_bool() == Some(true))
    }
}

#[async_trait(?Send)]
impl JwsVerifier for WebCryptoJws {
    async fn verify(
        &self,
        algorithm: Algorithm,
        jwk: &serde_json::Value,
        signing_input: &[u8],
        signature: &[u8],
    ) -> Result<bool, VerifyUnavailable> {
        Self::check(algorithm, jwk, signing_input, signature)
            .await
            .map_err(|e| VerifyUnavailable(format!("WebCrypto verify: {e:?}")))
    }
}
