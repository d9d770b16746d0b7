//! The System Log API: `GET /api/v1/logs` in the shape of Okta's, which SIEMs and
//! identity teams already read.
//!
//! - `since` / `until` (RFC 3339): the window, `since` inclusive, `until` exclusive;
//!   `since` defaults to seven days ago.
//! - `filter`: a SCIM-syntax expression (the parser of [`crate::scim::filter`]) on
//!   `eventType`, `outcome.result`, `severity`, `actor.id`, `actor.alternateId`,
//!   `target.id`, `client.id` and `client.ipAddress`.
//! - `q`: space-separated keywords, each of which the event must contain.
//! - `limit` (1–1000, default 100) and `sortOrder` (`ASCENDING`, the default, or
//!   `DESCENDING`).
//! - Pages: the `Link: <…>; rel="next"` header carries an opaque `after` cursor (the
//!   last event's `published` and `uuid`), so no event is skipped or repeated when
//!   events share a millisecond. Ascending without `until` is a polling query: its
//!   `next` link is always given, for a SIEM to call again later.
//!
//! Needs a client's own token with `admin.logs.read`; each call is itself logged.

use serde_json::json;

use crate::admin::{self, AdminScope};
use crate::events::{self, types, AdminEventSpec, RequestContext};
use crate::http::{Request, Response};
use crate::ports::Ports;

pub mod query;
#[cfg(test)]
mod query_plan_tests;
pub mod retention;
pub use query::{
    Cursor, InvalidQuery, LogAttribute, LogQuery, SortOrder, DEFAULT_LIMIT, MAX_LIMIT,
};

/// Okta's error body (`errorCode`, `errorSummary`, `errorCauses`).
fn okta_error(status: u16, code: &str, summary: &str, cause: Option<&str>) -> Response {
    let causes: Vec<_> = cause
        .map(|c| json!({"errorSummary": c}))
        .into_iter()
        .collect();
    Response::json(
        status,
        &json!({"errorCode": code, "errorSummary": summary, "errorCauses": causes}),
    )
}

/// `GET /api/v1/logs`.
pub async fn handle(ports: &Ports<'_>, request: &Request, context: &RequestContext) -> Response {
    let issuer = request.self_origin.as_str();
    let admin = match admin::authenticate(
        ports,
        issuer,
        request.header("authorization"),
        AdminScope::LogsRead,
        context,
    )
    .await
    {
        Ok(admin) => admin,
        Err(refusal) => {
            let code = match refusal.status() {
                401 => "E0000011",
                403 => "E0000006",
                _ => "E0000009",
            };
            let response = okta_error(refusal.status(), code, &refusal.description(), None);
            return match refusal.challenge() {
                Some(challenge) => response.with_header("www-authenticate", &challenge),
                None => response,
            };
        }
    };
    let params = request.query_params();
    let query = match LogQuery::parse(&params, ports.clock.now()) {
        Ok(query) => query,
        Err(InvalidQuery(cause)) => {
            return okta_error(
                400,
                "E0000001",
                "Api validation failed: the query",
                Some(&cause),
            )
        }
    };
    let found = match ports.events.query(&query).await {
        Ok(found) => found,
        Err(err) => {
            ports.diagnostics.log(&format!("system log query: {err:?}"));
            return okta_error(
                503,
                "E0000009",
                "The service is temporarily unavailable.",
                None,
            );
        }
    };
    events::record_admin(
        ports,
        context,
        AdminEventSpec::success(
            types::ADMIN_READ,
            "An admin read the System Log",
            admin.actor(),
            Vec::new(),
        ),
    )
    .await;
    let last = found.last().map(|e| Cursor {
        published: e.published.clone(),
        uuid: e.uuid.clone(),
    });
    let full = found.len() as u64 == query.limit;
    let next_cursor = match (full, query.polling()) {
        (true, _) => last,
        (false, true) => last.or_else(|| query.after.clone()),
        (false, false) => None,
    };
    let link = |after: Option<&Cursor>, rel: &str| {
        let mut url = form_urlencoded::Serializer::new(String::new());
        for (key, value) in params.iter().filter(|(k, _)| k != "after") {
            url.append_pair(key, value);
        }
        if let Some(after) = after {
            url.append_pair("after", &after.encode());
        }
        format!("<{issuer}/api/v1/logs?{}>; rel=\"{rel}\"", url.finish())
    };
    let mut links = vec![link(query.after.as_ref(), "self")];
    if full || query.polling() {
        links.push(link(next_cursor.as_ref(), "next"));
    }
    Response::json(200, &found).with_header("link", &links.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::oidc_tests::{call, json, request};
    use crate::http::Method;
    use crate::ports::Clock;
    use crate::scim::tests::admin_token;
    use crate::testing::TestPorts;
    use crate::time::rfc3339;

    fn get(t: &TestPorts, target: &str, token: &str) -> Response {
        let bearer = format!("Bearer {token}");
        call(
            t,
            request(Method::Get, target, &[("authorization", &bearer)], ""),
        )
    }

    fn next_link(response: &Response) -> Option<String> {
        let links = response.header("link")?;
        let next = links.split(", ").find(|l| l.ends_with("rel=\"next\""))?;
        let url = next.trim_start_matches('<').split('>').next()?;
        Some(
            url.trim_start_matches(crate::api::oidc_tests::ISSUER)
                .to_string(),
        )
    }

    #[test]
    fn okta_logs_pages_follow_the_next_link_without_gaps_or_repeats() {
        let t = TestPorts::new();
        let auditor = admin_token(&t, "auditor", "admin.logs.read");
        let users = admin_token(&t, "hr", "admin.users.read");
        for _ in 0..7 {
            // Seven events in one millisecond: the cursor tells them apart by uuid.
            let _ = get(&t, "/scim/v2/Users", &users);
        }
        let recorded: Vec<String> = t
            .events
            .events
            .borrow()
            .iter()
            .map(|e| e.uuid.clone())
            .collect();
        let until = rfc3339(t.clock.now().plus_seconds(1));
        t.clock.advance_seconds(2);
        let mut seen = Vec::new();
        let mut next = Some(format!("/api/v1/logs?limit=3&until={until}"));
        let mut pages = 0;
        while let Some(target) = next {
            pages += 1;
            assert!(pages < 10, "bounded");
            let page = get(&t, &target, &auditor);
            assert_eq!(page.status, 200, "{}", json(&page));
            let events = json(&page);
            seen.extend(
                events
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["uuid"].as_str().unwrap().to_string()),
            );
            next = next_link(&page);
        }
        let mut expected = recorded.clone();
        expected.sort();
        let mut got = seen.clone();
        got.sort();
        assert_eq!(got, expected, "every event once");
        assert_eq!(pages, 3);
    }

    #[test]
    fn rfc6750_3_1_the_log_needs_admin_logs_read_and_bad_queries_are_e0000001() {
        let t = TestPorts::new();
        let users = admin_token(&t, "hr", "admin.users.manage");
        let refused = get(&t, "/api/v1/logs", &users);
        assert_eq!(refused.status, 403);
        assert_eq!(json(&refused)["errorCode"], "E0000006");
        assert!(refused
            .header("www-authenticate")
            .unwrap()
            .contains("scope=\"admin.logs.read\""));
        let none = call(&t, request(Method::Get, "/api/v1/logs", &[], ""));
        assert_eq!(
            (none.status, json(&none)["errorCode"].clone()),
            (401, json!("E0000011"))
        );
        let auditor = admin_token(&t, "auditor", "admin.logs.read");
        let bad = get(&t, "/api/v1/logs?limit=5000", &auditor);
        assert_eq!(
            (bad.status, json(&bad)["errorCode"].clone()),
            (400, json!("E0000001"))
        );
        assert!(json(&bad)["errorCauses"][0]["errorSummary"]
            .as_str()
            .unwrap()
            .starts_with("limit"));
    }
}
