//! The serde form of a catalogue file. Unknown fields are refused.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFile {
    pub version: u32,
    pub provider: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub hosts: Vec<String>,
    #[serde(default)]
    pub case_insensitive_paths: bool,
    #[serde(default)]
    pub credentials: Credentials,
    /// The shape of a REST refusal, as the provider's clients read errors.
    #[serde(default, skip_serializing_if = "RefusalShape::is_default")]
    pub refusal: RefusalShape,
    #[serde(default)]
    pub endpoints: Vec<Endpoint>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub composite_resources: BTreeMap<String, String>,
    /// Query parameters that name a resource on every REST route
    /// (`teamId = "teamId"`): parameter → resource kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub query_resources: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lowercase_resources: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rest: Vec<RestRoute>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub graphql: BTreeMap<String, Schema>,
    /// Where requests carry secret values, which are masked wherever a
    /// request is shown (and nothing else is): `graphql.<schema>.<type>.<field>`
    /// → argument paths (`input.value`, `patch.services.*.variables.*.value`),
    /// or `rest.<METHOD> <path template>` → body paths.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secrets: BTreeMap<String, Vec<String>>,
    /// Path parameters whose value may hold a `/`, sent percent-encoded
    /// (`%2F`) inside one segment (`branches/feature%2Fx`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub params_with_slashes: Vec<String>,
    /// Overrides files only: the reviewed judgement on generated entries
    /// (operation name → judgement). Not part of a generated catalogue.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub review: BTreeMap<String, Review>,
}

/// How a REST refusal is shaped for a provider's clients. GraphQL
/// endpoints always answer with GraphQL `errors`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefusalShape {
    /// `{"message": "...", "scopegate": {...}}`: what most REST clients
    /// print (GitHub, Render, DigitalOcean, Supabase, Neon).
    #[default]
    Message,
    /// `{"success": false, "errors": [{"code": 9109, "message": "..."}],
    /// "messages": [], "result": null, "scopegate": {...}}`: the envelope
    /// of APIs whose clients read `errors[].message` (Cloudflare's).
    ErrorsList,
    /// `{"error": {"code": "forbidden", "message": "..."}, "scopegate":
    /// {...}}`: APIs whose clients read `error.message` (Vercel's).
    ErrorObject,
}

impl RefusalShape {
    fn is_default(&self) -> bool {
        *self == Self::Message
    }
}

/// A reviewer's judgement on one generated operation: `write` (stays a
/// plain write), `escalate` (a write raised by argument values; the
/// escalations are in the override entry) or `destructive` (raised always).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Review {
    pub judgement: String,
    pub why: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    #[serde(default)]
    pub authorization: Vec<String>,
    #[serde(default)]
    pub headers: Vec<String>,
    #[serde(default)]
    pub query: Vec<String>,
    /// Cookies whose value is the provider's token (neonctl sends its API
    /// key as `zenith=` and `keycloak_token=` cookies besides Bearer).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cookies: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EndpointKind {
    Graphql,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    pub path: String,
    pub kind: EndpointKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// The GraphQL-over-WebSocket subprotocols the endpoint accepts an
    /// upgrade for (`graphql-transport-ws`, `graphql-ws`); empty: upgrades
    /// to it are refused.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub websocket: Vec<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestRoute {
    pub method: String,
    pub path: String,
    pub name: String,
    pub class: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<Escalate>,
    /// Resources named in the request beyond the path: `body.<path>` (the
    /// JSON body; `*` for any key or element) or `query.<name>` → kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, String>,
    /// Decided on its head alone; the body (an upload larger than the
    /// body limit, e.g. `railway up`'s tarball) goes upstream as it
    /// arrives, unread. No escalation or resource may read the body.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub streamed: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schema {
    #[serde(default)]
    pub query: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub mutation: BTreeMap<String, FieldSpec>,
    #[serde(default)]
    pub subscription: BTreeMap<String, FieldSpec>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub class: String,
    /// Argument path → resource kind.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resources: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub escalate: Vec<Escalate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalate {
    /// Path of the value looked at; `*` segments match any key or element.
    pub arg: String,
    /// `contains-deletion`, `truthy` or `present`; empty with `equals`/`in`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub when: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<Value>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    pub one_of: Option<Vec<Value>>,
    pub class: String,
    #[serde(default)]
    pub why: String,
}
