//! RFC 7644 §4: what this service provider supports, described by itself
//! (`/ServiceProviderConfig`, `/Schemas`, `/ResourceTypes`). Public: they describe
//! the service, not anyone in it.

use serde_json::{json, Value};

use super::groups::GROUP_SCHEMA;
use super::resource::USER_SCHEMA;
use super::{LIST_SCHEMA, MAX_RESULTS};

const CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";

fn meta(issuer: &str, kind: &str, path: &str) -> Value {
    json!({"resourceType": kind, "location": format!("{issuer}/scim/v2/{path}")})
}

/// RFC 7643 §5.
pub fn service_provider_config(issuer: &str) -> Value {
    json!({
        "schemas": [CONFIG_SCHEMA],
        "documentationUri": format!("{issuer}/docs/api.html#scim"),
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "A client's own access token (client credentials) with the \
                            admin.users.read or admin.users.manage scope.",
            "specUri": "https://www.rfc-editor.org/rfc/rfc6750",
            "primary": true,
        }],
        "meta": meta(issuer, "ServiceProviderConfig", "ServiceProviderConfig"),
    })
}

fn attribute(name: &str, kind: &str, required: bool, mutability: &str, uniqueness: &str) -> Value {
    json!({
        "name": name,
        "type": kind,
        "multiValued": false,
        "required": required,
        "caseExact": false,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": uniqueness,
    })
}

fn user_schema(issuer: &str) -> Value {
    let text = |name: &str| attribute(name, "string", false, "readWrite", "none");
    let mut name = attribute("name", "complex", false, "readWrite", "none");
    name["subAttributes"] = json!([text("formatted"), text("givenName"), text("familyName")]);
    let mut emails = attribute("emails", "complex", false, "readWrite", "none");
    emails["multiValued"] = json!(true);
    emails["subAttributes"] = json!([
        text("value"),
        text("type"),
        attribute("primary", "boolean", false, "readWrite", "none"),
    ]);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA,
        "name": "User",
        "description": "A person who signs in. userName is their email address.",
        "attributes": [
            attribute("userName", "string", true, "readWrite", "server"),
            name,
            text("displayName"),
            emails,
            attribute("active", "boolean", false, "readWrite", "none"),
            attribute("externalId", "string", false, "readWrite", "none"),
        ],
        "meta": meta(issuer, "Schema", &format!("Schemas/{USER_SCHEMA}")),
    })
}

fn group_schema(issuer: &str) -> Value {
    let mut members = attribute("members", "complex", false, "readWrite", "none");
    members["multiValued"] = json!(true);
    members["subAttributes"] = json!([
        attribute("value", "string", false, "immutable", "none"),
        attribute("$ref", "reference", false, "immutable", "none"),
        attribute("type", "string", false, "immutable", "none"),
    ]);
    json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA,
        "name": "Group",
        "description": "A group of people, which clients read as roles.",
        "attributes": [
            attribute("displayName", "string", true, "readWrite", "server"),
            members,
            attribute("externalId", "string", false, "readWrite", "none"),
        ],
        "meta": meta(issuer, "Schema", &format!("Schemas/{GROUP_SCHEMA}")),
    })
}

/// RFC 7643 §7, as a list response (RFC 7644 §4).
pub fn schemas(issuer: &str) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": 2,
        "startIndex": 1,
        "itemsPerPage": 2,
        "Resources": [user_schema(issuer), group_schema(issuer)],
    })
}

/// RFC 7643 §6, as a list response (RFC 7644 §4).
pub fn resource_types(issuer: &str) -> Value {
    json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": 2,
        "startIndex": 1,
        "itemsPerPage": 2,
        "Resources": [{
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "People who sign in",
            "schema": USER_SCHEMA,
            "meta": meta(issuer, "ResourceType", "ResourceTypes/User"),
        }, {
            "schemas": [RESOURCE_TYPE_SCHEMA],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Groups of people",
            "schema": GROUP_SCHEMA,
            "meta": meta(issuer, "ResourceType", "ResourceTypes/Group"),
        }],
    })
}
