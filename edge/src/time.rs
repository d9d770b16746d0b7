//! Time as the core keeps it: milliseconds since the Unix epoch, from the
//! [`Clock`](crate::ports::Clock) port (the standard library's clock panics on wasm32).

/// Milliseconds since the Unix epoch. Stored as its number; turned into the seconds of
/// JWT claims only at that boundary ([`UnixMillis::as_seconds`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(transparent)]
pub struct UnixMillis(pub u64);

impl UnixMillis {
    /// This instant plus `seconds`, saturating instead of overflowing.
    pub fn plus_seconds(self, seconds: u64) -> UnixMillis {
        UnixMillis(self.0.saturating_add(seconds.saturating_mul(1000)))
    }

    /// Whole seconds since the epoch: JWT `iat`, `exp`, `auth_time` (RFC 7519 §2
    /// NumericDate).
    pub fn as_seconds(self) -> u64 {
        self.0 / 1000
    }
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ` (RFC 3339 §5.6) for a Unix time in milliseconds.
pub fn rfc3339(at: UnixMillis) -> String {
    let millis = at.0 % 1000;
    let secs = at.0 / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (year, month, day) = civil_from_days(days as i64);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// The instant of an RFC 3339 §5.6 `date-time` (`2026-01-01T00:00:00Z`, fractional
/// seconds and numeric offsets allowed), if it is one at or after 1970.
pub fn parse_rfc3339(value: &str) -> Option<UnixMillis> {
    let b = value.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = value.get(range)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    let (hour, minute, second) = (digits(11..13)?, digits(14..16)?, digits(17..19)?);
    let mut rest = &value[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let end = fraction
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(fraction.len());
        if end == 0 {
            return None;
        }
        let padded = format!("{:0<3}", &fraction[..end.min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &fraction[end..];
    }
    let offset_minutes = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && matches!(&rest[3..4], ":") => {
            let sign = match &rest[..1] {
                "+" => 1,
                "-" => -1,
                _ => return None,
            };
            let hours: i64 = rest[1..3].parse().ok()?;
            let minutes: i64 = rest[4..6].parse().ok()?;
            sign * (hours * 60 + minutes)
        }
        _ => return None,
    };
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && hour < 24
        && minute < 60
        && second < 61;
    if !valid {
        return None;
    }
    let days = days_from_civil(year, month as u32, day as u32);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    let total = seconds.checked_mul(1000)?.checked_add(millis)?;
    u64::try_from(total).ok().map(UnixMillis)
}

/// A proleptic Gregorian date to days since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year.rem_euclid(400);
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_utc_with_milliseconds() {
        assert_eq!(rfc3339(UnixMillis(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UnixMillis(1_767_225_600_123)),
            "2026-01-01T00:00:00.123Z"
        );
        // A leap day.
        assert_eq!(
            rfc3339(UnixMillis(951_825_599_000)),
            "2000-02-29T11:59:59.000Z"
        );
    }

    #[test]
    fn rfc3339_5_6_date_times_are_read_back_to_the_millisecond() {
        for at in [0, 1_767_225_600_123, 951_825_599_000, 4_102_444_800_999] {
            assert_eq!(
                parse_rfc3339(&rfc3339(UnixMillis(at))),
                Some(UnixMillis(at))
            );
        }
        assert_eq!(
            parse_rfc3339("2026-01-01T01:00:00+01:00"),
            Some(UnixMillis(1_767_225_600_000))
        );
        assert_eq!(
            parse_rfc3339("2026-01-01T00:00:00.5Z"),
            Some(UnixMillis(1_767_225_600_500))
        );
        for bad in [
            "",
            "2026-01-01",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.Z",
            "2026-01-01T00:00:00+0100",
            "1969-12-31T23:59:59Z",
            "2026-01-01T00:00:00Z' OR 1=1 --",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
