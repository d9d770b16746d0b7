//! What the edge knows, for free, about where a request comes from: the fields of
//! Cloudflare's `request.cf` that adaptive sign-on reads (see [`crate::risk`]).
//!
//! - `country`: ISO 3166-1 alpha-2. Cloudflare reports `T1` for the Tor network and `XX`
//!   when it does not know; `T1` becomes [`Signals::anonymous`], `XX` no country.
//! - `asn`: the autonomous system the address belongs to.
//! - `latitude`, `longitude`: where the address is located (city level at best).
//!
//! The platform reads them from `request.cf` ([`SignalSource`](crate::ports::SignalSource));
//! tests set them through the same port. `workerd` under `wrangler dev` has a fixed
//! `request.cf`, so a loopback-only development deployment may take them from the
//! [`DEV_SIGNALS_HEADER`] instead ([`Signals::from_dev_header`]); a deployed worker never
//! reads that header.

use serde::{Deserialize, Serialize};

use crate::time::UnixMillis;

/// The request header a loopback development deployment with `DEV_SIGNALS=allow` reads
/// signals from, as JSON: `{"country":"NZ","asn":9500,"latitude":-41.3,"longitude":174.8,
/// "anonymous":false}` (every member optional).
pub const DEV_SIGNALS_HEADER: &str = "x-portcullis-dev-signals";

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

impl Country {
    /// Two ASCII letters, in either case; `None` for anything else.
    pub fn parse(code: &str) -> Option<Country> {
        match code.trim().as_bytes() {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                Some(Country([a.to_ascii_uppercase(), b.to_ascii_uppercase()]))
            }
            _ => None,
        }
    }

    pub fn as_str(&self) -> &str {
        // Built only from two ASCII letters (`parse`).
        std::str::from_utf8(&self.0).unwrap_or("XX")
    }
}

impl TryFrom<String> for Country {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Country::parse(&value).ok_or_else(|| format!("not a country code: {value:?}"))
    }
}

impl From<Country> for String {
    fn from(country: Country) -> String {
        country.as_str().to_string()
    }
}

/// A point on the Earth, in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

/// Mean Earth radius (IUGG), for great-circle distances.
const EARTH_RADIUS_KM: f64 = 6371.0088;

impl Coordinates {
    /// Finite degrees within ±90 latitude and ±180 longitude; `None` otherwise.
    pub fn new(latitude: f64, longitude: f64) -> Option<Coordinates> {
        let valid = latitude.is_finite()
            && longitude.is_finite()
            && latitude.abs() <= 90.0
            && longitude.abs() <= 180.0;
        valid.then_some(Coordinates {
            latitude,
            longitude,
        })
    }

    /// The great-circle distance to `other` (haversine formula), in kilometres.
    pub fn distance_km(&self, other: &Coordinates) -> f64 {
        let (p1, p2) = (self.latitude.to_radians(), other.latitude.to_radians());
        let dp = p2 - p1;
        let dl = (other.longitude - self.longitude).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
    }
}

/// What `request.cf` says about one request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    pub country: Option<Country>,
    pub asn: Option<u32>,
    pub coordinates: Option<Coordinates>,
    /// The request comes through Tor or another anonymising network.
    pub anonymous: bool,
}

impl Signals {
    /// From `request.cf`'s `country`, `asn`, `latitude` and `longitude` (Cloudflare sends
    /// the coordinates as strings).
    pub fn from_cf(
        country: Option<&str>,
        asn: Option<u32>,
        latitude: Option<&str>,
        longitude: Option<&str>,
    ) -> Signals {
        let degrees = |v: Option<&str>| v.and_then(|v| v.trim().parse::<f64>().ok());
        let coordinates = match (degrees(latitude), degrees(longitude)) {
            (Some(lat), Some(lon)) => Coordinates::new(lat, lon),
            _ => None,
        };
        let code = country.map(str::trim).unwrap_or_default();
        Signals {
            // T1: Tor; XX: unknown (Cloudflare's IP geolocation).
            country: Country::parse(code).filter(|c| !matches!(c.as_str(), "T1" | "XX")),
            asn: asn.filter(|a| *a != 0),
            coordinates,
            anonymous: code.eq_ignore_ascii_case("T1"),
        }
    }

    /// The [`DEV_SIGNALS_HEADER`]'s JSON; `None` if it does not parse or names an invalid
    /// country or point.
    pub fn from_dev_header(value: &str) -> Option<Signals> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Dev {
            country: Option<String>,
            asn: Option<u32>,
            latitude: Option<f64>,
            longitude: Option<f64>,
            #[serde(default)]
            anonymous: bool,
        }
        let dev: Dev = serde_json::from_str(value).ok()?;
        let country = match dev.country.as_deref() {
            Some(code) => Some(Country::parse(code)?),
            None => None,
        };
        let coordinates = match (dev.latitude, dev.longitude) {
            (Some(lat), Some(lon)) => Some(Coordinates::new(lat, lon)?),
            (None, None) => None,
            _ => return None,
        };
        Some(Signals {
            country,
            asn: dev.asn,
            coordinates,
            anonymous: dev.anonymous,
        })
    }
}

/// Where and when an account last signed in, kept to compare the next sign-in with.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub country: Option<Country>,
    pub coordinates: Option<Coordinates>,
    pub at: UnixMillis,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso3166_1_alpha2_codes_parse_in_either_case_and_nothing_else_does() {
        assert_eq!(
            Country::parse("nz").map(|c| c.as_str().to_string()),
            Some("NZ".into())
        );
        for bad in ["", "N", "NZL", "1Z", "é1", "N Z"] {
            assert_eq!(Country::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cloudflare_t1_is_tor_and_xx_is_unknown() {
        let tor = Signals::from_cf(Some("T1"), Some(4242), None, None);
        assert!(tor.anonymous);
        assert_eq!(tor.country, None);
        let unknown = Signals::from_cf(Some("XX"), None, None, None);
        assert!(!unknown.anonymous);
        assert_eq!(unknown.country, None);
        let nz = Signals::from_cf(Some("NZ"), Some(9500), Some("-41.28664"), Some("174.77557"));
        assert_eq!(nz.country, Country::parse("NZ"));
        assert_eq!(nz.asn, Some(9500));
        assert_eq!(nz.coordinates, Coordinates::new(-41.28664, 174.77557));
    }

    #[test]
    fn coordinates_out_of_range_or_not_numbers_are_dropped() {
        assert_eq!(
            Signals::from_cf(None, None, Some("91"), Some("0")).coordinates,
            None
        );
        assert_eq!(
            Signals::from_cf(None, None, Some("NaN"), Some("0")).coordinates,
            None
        );
        assert_eq!(
            Signals::from_cf(None, None, Some("1"), None).coordinates,
            None
        );
    }

    #[test]
    fn great_circle_distances_match_known_values() {
        let paris = Coordinates::new(48.8566, 2.3522).unwrap();
        let london = Coordinates::new(51.5074, -0.1278).unwrap();
        let sydney = Coordinates::new(-33.8688, 151.2093).unwrap();
        let d = paris.distance_km(&london);
        assert!((340.0..346.0).contains(&d), "{d}");
        let d = paris.distance_km(&sydney);
        assert!((16_940.0..16_980.0).contains(&d), "{d}");
        assert_eq!(paris.distance_km(&paris), 0.0);
    }

    #[test]
    fn the_dev_header_is_strict_json() {
        let s = Signals::from_dev_header(
            r#"{"country":"nz","asn":9500,"latitude":-41.3,"longitude":174.8}"#,
        )
        .unwrap();
        assert_eq!(s.country, Country::parse("NZ"));
        assert!(!s.anonymous);
        assert_eq!(
            Signals::from_dev_header(r#"{"anonymous":true}"#).map(|s| s.anonymous),
            Some(true)
        );
        for bad in [
            "",
            "NZ",
            r#"{"country":"NZL"}"#,
            r#"{"latitude":1}"#,
            r#"{"latitude":100,"longitude":1}"#,
            r#"{"country":"NZ","admin":true}"#,
        ] {
            assert_eq!(Signals::from_dev_header(bad), None, "{bad}");
        }
    }
}
