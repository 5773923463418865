//! Provider catalogues: which hosts a provider answers on, where it accepts
//! credentials, its GraphQL endpoints and root fields, and its REST routes.
//!
//! Catalogues are data files (`config/catalog/*.toml`), parsed here from
//! text; [`raw`] is the serde form and [`Catalog`] the validated model.

pub mod generate;
pub mod hints;
pub mod raw;
pub mod registry;
mod review;
mod words;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use scopegate_model::OpClass;

use crate::rest::{RestRoute, RestTable, Template};

/// The catalogues bundled with scopegate, embedded at build time: those the
/// provider registry (`config/catalog/providers.toml`) lists, in its order
/// (`BUNDLED: &[(file name, text)]`, written by `build.rs`).
mod bundled {
    include!(concat!(env!("OUT_DIR"), "/bundled.rs"));
}
pub use bundled::{BREADTHS, BUNDLED, RESOLVERS};

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: {problems}", problems = .problems.join("; "))]
    Invalid { file: String, problems: Vec<String> },
    #[error("host {host} is claimed by both {first} and {second}")]
    HostClash {
        host: String,
        first: String,
        second: String,
    },
}

/// Where a provider accepts credentials.
#[derive(Debug, Clone, Default)]
pub struct CredentialSpec {
    /// Accepted `Authorization` schemes.
    pub authorization: Vec<scopegate_model::AuthScheme>,
    /// Header names, lowercase, whose whole value is a credential.
    pub headers: Vec<String>,
    /// Query parameters whose value is a credential.
    pub query: Vec<String>,
    /// Cookies whose value is a credential. Any other cookie is a session
    /// scopegate cannot scope.
    pub cookies: Vec<String>,
}

pub use crate::escalate::{EscalateIf, Escalation};

/// One GraphQL root field.
#[derive(Debug, Clone)]
pub struct FieldSpec {
    pub class: OpClass,
    /// Argument path (`input.environmentId`) → resource kind.
    pub resources: Vec<(Vec<String>, String)>,
    pub escalate: Vec<Escalation>,
    /// Argument paths whose values are secrets (`*` matches any key or
    /// element): masked wherever the request is shown, and nothing else is.
    pub secret: Vec<Vec<String>>,
}

/// The root fields of one GraphQL schema, by operation type.
#[derive(Debug, Clone, Default)]
pub struct GraphqlSchema {
    pub query: HashMap<String, FieldSpec>,
    pub mutation: HashMap<String, FieldSpec>,
    pub subscription: HashMap<String, FieldSpec>,
}

#[derive(Debug, Clone)]
pub struct GraphqlEndpoint {
    /// Normalised path segments.
    pub path: Vec<String>,
    /// `None`: an endpoint with no published schema; everything sent to it
    /// is `unknown`.
    pub schema: Option<Arc<GraphqlSchema>>,
    /// The GraphQL-over-WebSocket subprotocols an upgrade may ask for.
    pub websocket: Vec<String>,
}

/// A validated provider catalogue.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub provider: String,
    pub hosts: Vec<String>,
    pub case_insensitive_paths: bool,
    pub credentials: CredentialSpec,
    /// How REST refusals are shaped for this provider's clients.
    pub refusal: raw::RefusalShape,
    pub graphql: Vec<GraphqlEndpoint>,
    pub rest: RestTable,
    /// Resource kinds built from others, e.g. `repository` = `{owner}/{repo}`.
    pub composite_resources: Vec<(String, Template)>,
    /// Query parameters naming a resource on every REST route
    /// (parameter, resource kind).
    pub query_resources: Vec<(String, String)>,
    /// Resource kinds whose values the provider treats case-insensitively.
    pub lowercase_resources: Vec<String>,
    /// Path parameters that may hold an encoded slash (`%2F`).
    pub params_with_slashes: Vec<String>,
}

impl Catalog {
    /// AWS's: no routes or schemas of its own (`crate::aws` reads AWS
    /// requests); it stands for every AWS endpoint host.
    fn aws() -> Self {
        Self {
            provider: crate::aws::PROVIDER.to_owned(),
            hosts: Vec::new(),
            case_insensitive_paths: false,
            credentials: CredentialSpec::default(),
            refusal: raw::RefusalShape::default(),
            graphql: Vec::new(),
            rest: RestTable::default(),
            composite_resources: Vec::new(),
            query_resources: Vec::new(),
            lowercase_resources: Vec::new(),
            params_with_slashes: Vec::new(),
        }
    }

    /// Parses and validates one catalogue file. `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, CatalogError> {
        let raw: raw::CatalogFile = toml::from_str(text).map_err(|e| CatalogError::Parse {
            file: file.to_owned(),
            message: e.to_string(),
        })?;
        Self::from_raw(raw).map_err(|problems| CatalogError::Invalid {
            file: file.to_owned(),
            problems,
        })
    }

    fn from_raw(raw: raw::CatalogFile) -> Result<Self, Vec<String>> {
        let mut problems = Vec::new();
        if raw.version != 1 {
            problems.push(format!(
                "unsupported catalogue version {} (expected 1)",
                raw.version
            ));
        }
        if raw.provider.is_empty() || raw.provider.contains(':') {
            problems.push("provider must be a non-empty name without ':'".to_owned());
        }
        let hosts = raw
            .hosts
            .iter()
            .map(|h| crate::inspector::canonical_host(h, 443).0)
            .collect();
        let mut secrets = raw.secrets;
        let schemas = graphql_schemas(raw.graphql, &mut secrets, &mut problems);
        let graphql = graphql_endpoints(
            raw.endpoints,
            &schemas,
            raw.case_insensitive_paths,
            &mut problems,
        );
        let mut rest = Vec::new();
        for r in raw.rest {
            match rest_route(r, &mut secrets, raw.case_insensitive_paths) {
                Ok(route) => rest.push(route),
                Err(mut p) => problems.append(&mut p),
            }
        }
        let mut composite = Vec::new();
        for (kind, tmpl) in raw.composite_resources {
            match Template::parse_value(&tmpl) {
                Ok(t) => composite.push((kind, t)),
                Err(e) => problems.push(format!("composite_resources.{kind}: {e}")),
            }
        }
        for key in secrets.keys() {
            problems.push(format!(
                "secrets.\"{key}\": no such GraphQL field or REST route in this catalogue"
            ));
        }
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(Self {
            provider: raw.provider,
            hosts,
            case_insensitive_paths: raw.case_insensitive_paths,
            credentials: credential_spec(raw.credentials),
            refusal: raw.refusal,
            graphql,
            rest: RestTable::new(rest),
            composite_resources: composite,
            query_resources: raw.query_resources.into_iter().collect(),
            lowercase_resources: raw.lowercase_resources,
            params_with_slashes: raw.params_with_slashes,
        })
    }

    /// The GraphQL endpoint at these normalised path segments, if any.
    pub fn graphql_endpoint(&self, segments: &[String]) -> Option<&GraphqlEndpoint> {
        self.graphql.iter().find(|ep| ep.path == segments)
    }
}

/// The catalogue's GraphQL schemas by name, each field validated and given
/// its secret argument paths (taken from `secrets`).
fn graphql_schemas(
    raw: BTreeMap<String, raw::Schema>,
    secrets: &mut BTreeMap<String, Vec<String>>,
    problems: &mut Vec<String>,
) -> BTreeMap<String, Arc<GraphqlSchema>> {
    let mut schemas = BTreeMap::new();
    for (name, raw_schema) in raw {
        let mut schema = GraphqlSchema::default();
        for (kind, raw_fields, target) in [
            ("query", raw_schema.query, &mut schema.query),
            ("mutation", raw_schema.mutation, &mut schema.mutation),
            (
                "subscription",
                raw_schema.subscription,
                &mut schema.subscription,
            ),
        ] {
            for (field, spec) in raw_fields {
                match field_spec(spec) {
                    Ok(mut f) => {
                        f.secret = take_secret(secrets, &format!("graphql.{name}.{kind}.{field}"));
                        target.insert(field, f);
                    }
                    Err(e) => problems.push(format!("graphql.{name}.{kind}.{field}: {e}")),
                }
            }
        }
        schemas.insert(name, Arc::new(schema));
    }
    schemas
}

/// The catalogue's GraphQL endpoints: each path normalised, its schema
/// found, its WebSocket subprotocols ones scopegate reads.
fn graphql_endpoints(
    endpoints: Vec<raw::Endpoint>,
    schemas: &BTreeMap<String, Arc<GraphqlSchema>>,
    case_insensitive: bool,
    problems: &mut Vec<String>,
) -> Vec<GraphqlEndpoint> {
    let mut graphql = Vec::new();
    for ep in endpoints {
        let path = match crate::rest::normalize_path(&ep.path, case_insensitive) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("endpoint {}: {e}", ep.path));
                continue;
            }
        };
        match ep.kind {
            raw::EndpointKind::Graphql => {
                let schema = ep.schema.as_ref().and_then(|s| {
                    let found = schemas.get(s).cloned();
                    if found.is_none() {
                        problems.push(format!(
                            "endpoint {}: no [graphql.{s}] schema in this catalogue",
                            ep.path
                        ));
                    }
                    found
                });
                for p in &ep.websocket {
                    if !WEBSOCKET_PROTOCOLS.contains(&p.as_str()) {
                        problems.push(format!(
                            "endpoint {}: websocket protocol `{p}` is not one scopegate reads ({})",
                            ep.path,
                            WEBSOCKET_PROTOCOLS.join(", ")
                        ));
                    }
                }
                graphql.push(GraphqlEndpoint {
                    path,
                    schema,
                    websocket: ep.websocket,
                });
            }
        }
    }
    graphql
}

/// Where the provider accepts credentials; header names lowercased.
fn credential_spec(raw: raw::Credentials) -> CredentialSpec {
    CredentialSpec {
        authorization: raw
            .authorization
            .iter()
            .map(|s| scopegate_model::AuthScheme::parse(s))
            .collect(),
        headers: lower(raw.headers),
        query: raw.query,
        cookies: raw.cookies,
    }
}

/// One REST route of a catalogue file, validated: its class, escalations,
/// resources and template; a streamed route may read nothing of the body.
/// Its secrets are taken from `secrets` once its class and template are
/// valid.
fn rest_route(
    r: raw::RestRoute,
    secrets: &mut BTreeMap<String, Vec<String>>,
    case_insensitive: bool,
) -> Result<RestRoute, Vec<String>> {
    let at = format!("rest {} {}", r.method, r.path);
    let mut problems = Vec::new();
    let class = match OpClass::parse(&r.class) {
        Some(OpClass::Unknown) | None => {
            return Err(vec![format!(
                "{at}: class must be read, write or destructive"
            )]);
        }
        Some(c) => c,
    };
    let mut escalate = Vec::new();
    for e in r.escalate {
        match crate::escalate::from_raw(e, crate::escalate::Root::Rest) {
            Ok(e) => escalate.push(e),
            Err(e) => problems.push(format!("{at}: {e}")),
        }
    }
    let mut resources = Vec::new();
    for (path, kind) in r.resources {
        let p = split_path(&path);
        match p.first().map(String::as_str) {
            Some("body") => resources.push((p, kind)),
            Some("query") if p.len() == 2 => resources.push((p, kind)),
            _ => problems.push(format!(
                "{at}: resource path `{path}` must be `body.…` or `query.<name>`"
            )),
        }
    }
    if r.streamed && (!escalate.is_empty() || resources.iter().any(|(p, _)| p[0] == "body")) {
        problems.push(format!(
            "{at}: a streamed route is decided without its body: it can have no escalation and no body resource"
        ));
    }
    let template = Template::parse(&r.path, case_insensitive).map_err(|e| {
        problems.push(format!("{at}: {e}"));
        std::mem::take(&mut problems)
    })?;
    let secret = take_secret(secrets, &format!("rest.{} {}", r.method, r.path));
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(RestRoute {
        resources,
        streamed: r.streamed,
        method: r.method.to_ascii_uppercase(),
        template,
        secret,
        name: r.name,
        class,
        escalate,
    })
}

/// The GraphQL-over-WebSocket subprotocols scopegate reads.
pub const WEBSOCKET_PROTOCOLS: [&str; 2] = ["graphql-transport-ws", "graphql-ws"];

fn lower(v: Vec<String>) -> Vec<String> {
    v.into_iter().map(|s| s.to_ascii_lowercase()).collect()
}

fn field_spec(raw: raw::FieldSpec) -> Result<FieldSpec, String> {
    let class = match OpClass::parse(&raw.class) {
        Some(OpClass::Unknown) | None => {
            return Err(format!(
                "class `{}` must be read, write or destructive",
                raw.class
            ));
        }
        Some(c) => c,
    };
    let resources = raw
        .resources
        .into_iter()
        .map(|(path, kind)| (split_path(&path), kind))
        .collect();
    let escalate = raw
        .escalate
        .into_iter()
        .map(|e| crate::escalate::from_raw(e, crate::escalate::Root::Arguments))
        .collect::<Result<_, _>>()?;
    Ok(FieldSpec {
        class,
        resources,
        escalate,
        secret: Vec::new(),
    })
}

/// The secret paths declared for `key`, removed from the table so that
/// keys naming nothing can be reported.
fn take_secret(secrets: &mut BTreeMap<String, Vec<String>>, key: &str) -> Vec<Vec<String>> {
    secrets
        .remove(key)
        .unwrap_or_default()
        .iter()
        .map(|p| split_path(p))
        .collect()
}

fn split_path(p: &str) -> Vec<String> {
    p.split('.').map(str::to_owned).collect()
}

/// Every catalogue scopegate knows, indexed by host.
#[derive(Debug, Clone, Default)]
pub struct CatalogSet {
    catalogs: Vec<Arc<Catalog>>,
    by_host: HashMap<String, usize>,
    /// AWS: every AWS endpoint host, read by `crate::aws`, not by routes.
    aws: Option<Arc<Catalog>>,
}

impl CatalogSet {
    /// The catalogues bundled with scopegate.
    pub fn bundled() -> Result<Self, CatalogError> {
        let mut set = Self::default();
        for (file, text) in BUNDLED {
            set.add(Catalog::from_toml(file, text)?)?;
        }
        set.aws = Some(Arc::new(Catalog::aws()));
        Ok(set)
    }

    /// The AWS catalogue, when AWS is read (the bundled set reads it).
    pub fn aws(&self) -> Option<&Arc<Catalog>> {
        self.aws.as_ref()
    }

    /// Adds a catalogue; a host may belong to only one provider. A catalogue
    /// for a provider already present replaces it.
    pub fn add(&mut self, catalog: Catalog) -> Result<(), CatalogError> {
        if let Some(i) = self
            .catalogs
            .iter()
            .position(|c| c.provider == catalog.provider)
        {
            self.catalogs.remove(i);
        }
        let mut catalogs = std::mem::take(&mut self.catalogs);
        catalogs.push(Arc::new(catalog));
        let mut by_host = HashMap::new();
        for (i, c) in catalogs.iter().enumerate() {
            for h in &c.hosts {
                if let Some(&j) = by_host.get(h) {
                    let first: &Arc<Catalog> = &catalogs[j];
                    return Err(CatalogError::HostClash {
                        host: h.clone(),
                        first: first.provider.clone(),
                        second: c.provider.clone(),
                    });
                }
                by_host.insert(h.clone(), i);
            }
        }
        self.catalogs = catalogs;
        self.by_host = by_host;
        Ok(())
    }

    /// The catalogue for a canonical host name (see [`crate::inspector::canonical_host`]).
    pub fn for_host(&self, host: &str) -> Option<&Arc<Catalog>> {
        self.by_host
            .get(host)
            .map(|&i| &self.catalogs[i])
            .or_else(|| self.aws.as_ref().filter(|_| crate::aws::is_aws_host(host)))
    }

    pub fn providers(&self) -> impl Iterator<Item = &Arc<Catalog>> {
        self.catalogs.iter()
    }
}
