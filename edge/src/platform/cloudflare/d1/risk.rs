//! What adaptive sign-on remembers: `sign_in_places` and `remembered_devices`.

use async_trait::async_trait;
use serde::Deserialize;
use wasm_bindgen::JsValue;

use super::{millis, text, unavailable, D1Stores};
use crate::ports::{RiskStore, StoreError, UnixMillis};
use crate::signals::{Coordinates, Country, Place};

#[derive(Deserialize)]
struct PlaceRow {
    country: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    signed_in_at: f64,
}

fn number(value: Option<f64>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_f64)
}

#[async_trait(?Send)]
impl RiskStore for D1Stores {
    async fn last_place(&self, user_id: &str) -> Result<Option<Place>, StoreError> {
        let row: Option<PlaceRow> = self
            .db
            .prepare(
                "SELECT country, latitude, longitude, signed_in_at FROM sign_in_places \
                 WHERE user_id = ?1",
            )
            .bind(&[text(user_id)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("sign_in_places.find"))?;
        Ok(row.map(|r| Place {
            country: r.country.as_deref().and_then(Country::parse),
            coordinates: match (r.latitude, r.longitude) {
                (Some(lat), Some(lon)) => Coordinates::new(lat, lon),
                _ => None,
            },
            at: UnixMillis(r.signed_in_at as u64),
        }))
    }

    async fn record_place(&self, user_id: &str, place: &Place) -> Result<(), StoreError> {
        let country = place.country.map(|c| c.as_str().to_string());
        self.changes(
            "INSERT INTO sign_in_places (user_id, country, latitude, longitude, signed_in_at) \
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (user_id) DO UPDATE SET \
             country = excluded.country, latitude = excluded.latitude, \
             longitude = excluded.longitude, signed_in_at = excluded.signed_in_at",
            &[
                text(user_id),
                country.as_deref().map_or(JsValue::NULL, text),
                number(place.coordinates.map(|c| c.latitude)),
                number(place.coordinates.map(|c| c.longitude)),
                millis(place.at),
            ],
            "sign_in_places.upsert",
        )
        .await
        .map(|_| ())
    }

    async fn remember_device(
        &self,
        device_hash: &str,
        user_id: &str,
        expires_at: UnixMillis,
    ) -> Result<(), StoreError> {
        self.changes(
            "INSERT INTO remembered_devices (device_hash, user_id, expires_at) \
             VALUES (?1, ?2, ?3) ON CONFLICT (device_hash, user_id) DO UPDATE SET \
             expires_at = excluded.expires_at",
            &[text(device_hash), text(user_id), millis(expires_at)],
            "remembered_devices.upsert",
        )
        .await
        .map(|_| ())
    }

    async fn knows_device(
        &self,
        device_hash: &str,
        user_id: &str,
        now: UnixMillis,
    ) -> Result<bool, StoreError> {
        #[derive(Deserialize)]
        struct Found {
            #[allow(dead_code)]
            found: f64,
        }
        let row: Option<Found> = self
            .db
            .prepare(
                "SELECT 1 AS found FROM remembered_devices \
                 WHERE device_hash = ?1 AND user_id = ?2 AND expires_at > ?3",
            )
            .bind(&[text(device_hash), text(user_id), millis(now)])
            .map_err(unavailable("bind"))?
            .first(None)
            .await
            .map_err(unavailable("remembered_devices.find"))?;
        Ok(row.is_some())
    }

    async fn forget_devices(&self, user_id: &str) -> Result<usize, StoreError> {
        self.changes(
            "DELETE FROM remembered_devices WHERE user_id = ?1",
            &[text(user_id)],
            "remembered_devices.delete",
        )
        .await
    }
}
