//! A System Log query, read from the API's parameters and compiled to SQL on `events`
//! (see the API's documentation in [`super`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::scim::filter::{
    self, like_escaped, Attribute, Condition, Filter, Kind, Op, SqlValue, Value,
};
use crate::time::{parse_rfc3339, rfc3339, UnixMillis};

pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;
const DEFAULT_WINDOW_MS: u64 = 7 * 24 * 3600 * 1000;
const MAX_TERMS: usize = 10;
const MAX_TERM_LEN: usize = 64;

/// What a System Log filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogAttribute {
    EventType,
    OutcomeResult,
    Severity,
    ActorId,
    ActorAlternateId,
    TargetId,
    ClientId,
    ClientIp,
}

impl Attribute for LogAttribute {
    fn named(path: &str) -> Option<LogAttribute> {
        Some(match path.to_ascii_lowercase().as_str() {
            "eventtype" => LogAttribute::EventType,
            "outcome.result" => LogAttribute::OutcomeResult,
            "severity" => LogAttribute::Severity,
            "actor.id" => LogAttribute::ActorId,
            "actor.alternateid" => LogAttribute::ActorAlternateId,
            "target.id" => LogAttribute::TargetId,
            "client.id" => LogAttribute::ClientId,
            "client.ipaddress" | "request.ipaddress" => LogAttribute::ClientIp,
            _ => return None,
        })
    }

    fn kind(self) -> Kind {
        Kind::Text
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    Descending,
}

/// Where a page ends: the last event's `published` and `uuid`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub published: String,
    pub uuid: String,
}

impl Cursor {
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!("{}\n{}", self.published, self.uuid))
    }

    fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (published, uuid) = text.split_once('\n')?;
        // Only what this edge writes: a canonical timestamp and a UUID.
        let canonical = parse_rfc3339(published).map(rfc3339).as_deref() == Some(published);
        let uuid_ok = uuid.len() == 36 && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-');
        (canonical && uuid_ok).then(|| Cursor {
            published: published.into(),
            uuid: uuid.into(),
        })
    }
}

/// `events.published` as stored: the Unix milliseconds of a canonical RFC 3339 instant.
/// Every instant here was parsed (and made canonical) when the query was read, so none
/// fails to parse again; 0 would only widen a window.
fn stored_instant(canonical: &str) -> u64 {
    parse_rfc3339(canonical).map_or(0, |t| t.0)
}

/// One System Log query, read from the request.
#[derive(Debug, Clone, PartialEq)]
pub struct LogQuery {
    /// Canonical RFC 3339 (as `published` is stored), inclusive.
    pub since: String,
    /// Exclusive.
    pub until: Option<String>,
    pub filter: Option<Filter<LogAttribute>>,
    pub terms: Vec<String>,
    pub limit: u64,
    pub order: SortOrder,
    pub after: Option<Cursor>,
}

/// A refused query; said to the caller as Okta's `E0000001` (API validation failed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidQuery(pub String);

impl LogQuery {
    /// Reads `params` at `now`.
    pub fn parse(params: &[(String, String)], now: UnixMillis) -> Result<LogQuery, InvalidQuery> {
        let one = |name: &str| -> Result<Option<&str>, InvalidQuery> {
            let mut values = params
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.as_str());
            let first = values.next();
            if values.next().is_some() {
                return Err(InvalidQuery(format!("{name}: given more than once")));
            }
            Ok(first)
        };
        let instant = |name: &str| -> Result<Option<UnixMillis>, InvalidQuery> {
            one(name)?
                .map(|v| {
                    parse_rfc3339(v)
                        .ok_or_else(|| InvalidQuery(format!("{name}: not an RFC 3339 date-time")))
                })
                .transpose()
        };
        let since =
            instant("since")?.unwrap_or(UnixMillis(now.0.saturating_sub(DEFAULT_WINDOW_MS)));
        let until = instant("until")?;
        if until.is_some_and(|until| until < since) {
            return Err(InvalidQuery("until: before since".into()));
        }
        let limit = match one("limit")? {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| InvalidQuery(format!("limit: a number from 1 to {MAX_LIMIT}")))?,
        };
        let order = match one("sortOrder")? {
            None | Some("ASCENDING") => SortOrder::Ascending,
            Some("DESCENDING") => SortOrder::Descending,
            Some(_) => return Err(InvalidQuery("sortOrder: ASCENDING or DESCENDING".into())),
        };
        let filter = one("filter")?
            .map(filter::parse::<LogAttribute>)
            .transpose()
            .map_err(|e| InvalidQuery(format!("filter: {}", e.0)))?;
        let terms: Vec<String> = one("q")?
            .unwrap_or_default()
            .split(' ')
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect();
        if terms.len() > MAX_TERMS || terms.iter().any(|t| t.chars().count() > MAX_TERM_LEN) {
            return Err(InvalidQuery(format!(
                "q: at most {MAX_TERMS} keywords of at most {MAX_TERM_LEN} characters"
            )));
        }
        let after = one("after")?
            .map(|c| {
                Cursor::decode(c)
                    .ok_or_else(|| InvalidQuery("after: not a cursor this API gave".into()))
            })
            .transpose()?;
        Ok(LogQuery {
            since: rfc3339(since),
            until: until.map(rfc3339),
            filter,
            terms,
            limit,
            order,
            after,
        })
    }

    /// The query as SQL on `events`: a condition, then the order and limit, with the
    /// `?` parameters in order. Every value is bound (see [`crate::scim::filter`]).
    pub fn compile(&self) -> Condition {
        // `events.published` holds Unix milliseconds (migration 0015).
        let mut params = vec![SqlValue::Integer(stored_instant(&self.since))];
        let mut parts = vec!["published >= ?".to_string()];
        if let Some(until) = &self.until {
            parts.push("published < ?".into());
            params.push(SqlValue::Integer(stored_instant(until)));
        }
        if let Some(filter) = &self.filter {
            parts.push(condition(filter, &mut params));
        }
        for term in &self.terms {
            parts.push("data LIKE ? ESCAPE '\\'".into());
            params.push(SqlValue::Text(format!("%{}%", like_escaped(term))));
        }
        let (direction, beyond) = match self.order {
            SortOrder::Ascending => ("ASC", ">"),
            SortOrder::Descending => ("DESC", "<"),
        };
        if let Some(after) = &self.after {
            parts.push(format!("(published, uuid) {beyond} (?, ?)"));
            params.push(SqlValue::Integer(stored_instant(&after.published)));
            params.push(SqlValue::Text(after.uuid.clone()));
        }
        params.push(SqlValue::Integer(self.limit));
        Condition {
            sql: format!(
                "{} ORDER BY published {direction}, uuid {direction} LIMIT ?",
                parts.join(" AND ")
            ),
            params,
        }
    }

    /// Whether the caller may poll for later events with the `next` link even when
    /// this page is not full.
    pub fn polling(&self) -> bool {
        self.order == SortOrder::Ascending && self.until.is_none()
    }
}

fn condition(filter: &Filter<LogAttribute>, params: &mut Vec<SqlValue>) -> String {
    match filter {
        Filter::And(a, b) => format!("({} AND {})", condition(a, params), condition(b, params)),
        Filter::Or(a, b) => format!("({} OR {})", condition(a, params), condition(b, params)),
        Filter::Not(inner) => format!("(NOT COALESCE({}, 0))", condition(inner, params)),
        Filter::Present(attribute) => {
            let column = column(*attribute);
            format!("({column} IS NOT NULL)")
        }
        Filter::Compare(attribute, op, Value::Text(text)) => {
            let (sign, value) = match op {
                Op::Co => ("LIKE", format!("%{}%", like_escaped(text))),
                Op::Sw => ("LIKE", format!("{}%", like_escaped(text))),
                Op::Ew => ("LIKE", format!("%{}", like_escaped(text))),
                Op::Ne => ("<>", text.clone()),
                Op::Gt => (">", text.clone()),
                Op::Ge => (">=", text.clone()),
                Op::Lt => ("<", text.clone()),
                Op::Le => ("<=", text.clone()),
                Op::Eq => ("=", text.clone()),
            };
            let escape = if sign == "LIKE" { " ESCAPE '\\'" } else { "" };
            params.push(SqlValue::Text(value));
            match attribute {
                // Any of the event's targets, one target's events read in time order from
                // `event_targets` (migration 0027).
                LogAttribute::TargetId if *op == Op::Eq => {
                    "((published, uuid) IN (SELECT published, uuid FROM event_targets \
                     WHERE target_id = ?))"
                        .into()
                }
                // Any of the event's targets.
                LogAttribute::TargetId => format!(
                    "EXISTS (SELECT 1 FROM json_each(events.data, '$.target') AS t \
                     WHERE json_extract(t.value, '$.id') {sign} ?{escape})"
                ),
                other => format!("({} {sign} ?{escape})", column(*other)),
            }
        }
        // Log attributes are all text: the parser gives text values only.
        Filter::Compare(..) => "0".into(),
    }
}

fn column(attribute: LogAttribute) -> &'static str {
    match attribute {
        LogAttribute::EventType => "event_type",
        LogAttribute::OutcomeResult => "outcome",
        LogAttribute::Severity => "severity",
        LogAttribute::ActorId => "actor_id",
        LogAttribute::ActorAlternateId => "json_extract(data, '$.actor.alternateId')",
        LogAttribute::TargetId => "json_extract(data, '$.target[0].id')",
        LogAttribute::ClientId => "client_id",
        LogAttribute::ClientIp => "ip_address",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    const NOW: UnixMillis = UnixMillis(1_767_225_600_000);

    #[test]
    fn a_query_defaults_to_the_last_seven_days_ascending_a_hundred_at_a_time() {
        let query = LogQuery::parse(&[], NOW).unwrap();
        assert_eq!(query.since, "2025-12-25T00:00:00.000Z");
        assert_eq!(
            (query.limit, query.order, query.until.clone()),
            (100, SortOrder::Ascending, None)
        );
        assert!(query.polling());
        let compiled = query.compile();
        assert_eq!(
            compiled.sql,
            "published >= ? ORDER BY published ASC, uuid ASC LIMIT ?"
        );
    }

    #[test]
    fn filters_keywords_and_cursors_are_bound_parameters() {
        let cursor = Cursor {
            published: "2026-01-01T00:00:00.000Z".into(),
            uuid: "0b7b6a3e-2d3c-4b8a-9f1e-7c6d5e4f3a2b".into(),
        };
        let query = LogQuery::parse(
            &params(&[
                ("since", "2026-01-01T00:00:00+01:00"),
                ("until", "2026-01-02T00:00:00Z"),
                ("filter", "eventType eq \"user.session.start\" and (outcome.result eq \"FAILURE\" or target.id eq \"x'--\")"),
                ("q", "50%  Ada"),
                ("limit", "1000"),
                ("sortOrder", "DESCENDING"),
                ("after", &cursor.encode()),
            ]),
            NOW,
        )
        .unwrap();
        let compiled = query.compile();
        assert!(!compiled.sql.contains("x'"), "{}", compiled.sql);
        assert!(
            compiled.sql.contains("(published, uuid) < (?, ?)"),
            "{}",
            compiled.sql
        );
        assert!(compiled
            .sql
            .ends_with("ORDER BY published DESC, uuid DESC LIMIT ?"));
        assert_eq!(compiled.sql.matches('?').count(), compiled.params.len());
        assert_eq!(
            compiled.params[0],
            // Unix milliseconds, as `events.published` holds them.
            SqlValue::Integer(1_767_222_000_000)
        );
        assert!(compiled.params.contains(&SqlValue::Text("x'--".into())));
        assert!(compiled.params.contains(&SqlValue::Text("%50\\%%".into())));
        assert!(
            compiled
                .params
                .contains(&SqlValue::Integer(1_767_225_600_000)),
            "the cursor's instant as stored"
        );
        assert_eq!(compiled.params.last(), Some(&SqlValue::Integer(1000)));
        assert!(!query.polling());
    }

    #[test]
    fn bad_queries_are_refused_with_the_parameter_named() {
        for (name, value) in [
            ("since", "yesterday"),
            ("until", "2020-01-01T00:00:00Z"),
            ("limit", "0"),
            ("limit", "1001"),
            ("limit", "ten"),
            ("sortOrder", "sideways"),
            ("filter", "password eq \"x\""),
            ("filter", "eventType eq"),
            ("after", "not-a-cursor"),
            (
                "after",
                &URL_SAFE_NO_PAD.encode("2026-01-01T00:00:00Z' OR 1=1\nx"),
            ),
            ("q", &"a ".repeat(11)),
        ] {
            let error = LogQuery::parse(
                &params(&[("since", "2025-01-01T00:00:00Z"), (name, value)]),
                NOW,
            );
            let refused = if name == "since" {
                LogQuery::parse(&params(&[(name, value)]), NOW)
            } else {
                error
            };
            let InvalidQuery(cause) = refused.expect_err(value);
            assert!(cause.starts_with(name), "{cause}");
        }
        let twice = LogQuery::parse(&params(&[("limit", "1"), ("limit", "2")]), NOW);
        assert!(twice.is_err());
    }
}
