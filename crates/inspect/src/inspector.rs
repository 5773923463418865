//! The entry point: one request in, its operations and credential out.

use std::sync::Arc;

use scopegate_model::{OpClass, Operation, PresentedCredential};

use crate::catalog::{Catalog, CatalogSet};
use crate::content::{MediaType, Part, parse_multipart, parse_urlencoded};
use crate::graphql::{self, DocCache};
use crate::reading::READ_HEADERS;
use crate::{Limits, credentials, escalate, rest};

mod prepare;

/// The parts of an HTTP request inspection reads. Headers are name/value
/// pairs in arrival order (names in any case; repeated names repeated).
#[derive(Debug, Clone, Copy)]
pub struct RequestView<'a> {
    pub method: &'a str,
    /// The authority the client asked for (`host` or `host:port`).
    pub host: &'a str,
    /// Origin-form target: path and optional `?query`.
    pub target: &'a str,
    pub headers: &'a [(&'a str, &'a [u8])],
    /// The body as received (before content-decoding).
    pub body: &'a [u8],
}

impl RequestView<'_> {
    /// Inspection reads headers only through here, and only those in
    /// [`READ_HEADERS`]: the grant key binds exactly those.
    fn header(&self, name: &str) -> impl Iterator<Item = &[u8]> {
        debug_assert!(
            READ_HEADERS.contains(&name),
            "{name} is read but not bound by the grant key"
        );
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// What kind of endpoint a request went to; refusals take its shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EndpointKind {
    Graphql,
    Rest,
    /// REST, for a provider whose catalogue asks for refusals in the
    /// `errors` list envelope (`refusal = "errors-list"`).
    RestErrorsList,
    /// REST, refusals as an `error` object (`refusal = "error-object"`).
    RestErrorObject,
    /// AWS, whose clients read `{"__type", "message"}` (json, rest-json).
    AwsJson,
    /// AWS query services: `<ErrorResponse><Error>…`.
    AwsXml,
    /// EC2: `<Response><Errors><Error>…`.
    AwsEc2Xml,
    /// S3: `<Error><Code>…`.
    AwsS3Xml,
    /// The host is not a catalogued provider.
    NotProvider,
}

/// What the inspector read a request's body and URL as, beyond the
/// operations: the values that reach the provider. Approvers are shown
/// this, and grants are bound to it (see [`crate::reading`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Reading {
    /// Not a provider host, or a request that could not be read.
    #[default]
    Nothing,
    /// The GraphQL requests the request carries, in order.
    Graphql(Vec<graphql::GqlRequest>),
    /// A catalogued REST route: its query parameters, decoded, and where
    /// the route's body carries secrets (as the catalogue says).
    Rest {
        query: Vec<(String, String)>,
        secret: Vec<Vec<String>>,
    },
}

/// What a request asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// The provider the host belongs to; `None` for other hosts.
    pub provider: Option<String>,
    pub endpoint: EndpointKind,
    /// Never empty for a provider host: a request that cannot be read yields
    /// one `unknown` operation.
    pub operations: Vec<Operation>,
    pub credential: PresentedCredential,
    pub reading: Reading,
}

/// Catalogues, limits and the document cache: everything inspection needs.
#[derive(Debug)]
pub struct Inspector {
    catalogs: CatalogSet,
    limits: Limits,
    cache: DocCache,
    /// Every streamed route's method and first literal segment (`None`: a
    /// parameter), so that most requests are told "not streamed" without
    /// a host lookup or a path normalisation.
    streamed: Vec<(String, Option<String>)>,
}

const OVERRIDE_HEADERS: [&str; 3] = [
    "x-http-method-override",
    "x-http-method",
    "x-method-override",
];

impl Inspector {
    pub fn new(catalogs: CatalogSet, limits: Limits) -> Self {
        let streamed = catalogs
            .providers()
            .flat_map(|c| c.rest.routes().iter().filter(|r| r.streamed))
            .map(|r| {
                (
                    r.method.clone(),
                    r.template.first_literal().map(str::to_owned),
                )
            })
            .collect();
        Self {
            catalogs,
            limits,
            cache: DocCache::default(),
            streamed,
        }
    }

    pub fn catalogs(&self) -> &CatalogSet {
        &self.catalogs
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn cache(&self) -> &DocCache {
        &self.cache
    }

    /// The catalogue for an authority, if it is a provider host.
    pub fn provider_for(&self, authority: &str) -> Option<&Arc<Catalog>> {
        self.catalogs.for_host(&canonical_host(authority, 443).0)
    }

    /// Whether the request goes to a streamed route: one decided on its
    /// head alone, its body sent upstream unread (`railway up`). Most
    /// requests are answered by comparing the method and the first path
    /// segment with the streamed routes'; only a likely one pays the host
    /// and route lookups.
    pub fn streams_body(&self, method: &str, host: &str, target: &str) -> bool {
        // S3 object uploads (docs/providers/aws.md).
        if method == "PUT" && crate::aws::is_aws_host(host) {
            return crate::aws::streams_body(method, host, target);
        }
        // A first segment as sent (an escaped one does not match, and the
        // request is then read in full: stricter, never looser).
        let first = target
            .trim_start_matches('/')
            .split(['/', '?'])
            .next()
            .unwrap_or_default();
        let may = self.streamed.iter().any(|(m, lit)| {
            m == method && lit.as_deref().is_none_or(|l| l.eq_ignore_ascii_case(first))
        });
        if !may {
            return false;
        }
        if target.contains('#') {
            return false;
        }
        let Some((catalog, segments)) = self.route_path(host, target) else {
            return false;
        };
        catalog.graphql_endpoint(&segments).is_none()
            && catalog
                .rest
                .find(method, &segments)
                .is_some_and(|m| m.streamed)
    }

    /// The provider's catalogue and the normalised path segments of
    /// `target` (query dropped), as routes and endpoints are matched.
    fn route_path(&self, authority: &str, target: &str) -> Option<(&Arc<Catalog>, Vec<String>)> {
        let catalog = self.provider_for(authority)?;
        let path = target.split_once('?').map_or(target, |(p, _)| p);
        let segments = rest::normalize_path(path, catalog.case_insensitive_paths).ok()?;
        Some((catalog, segments))
    }

    /// The GraphQL-over-WebSocket subprotocols the catalogue lets an
    /// upgrade to `target` (path, optional query) at `authority` ask for;
    /// empty for anything else (not a provider, not such an endpoint).
    pub fn websocket_protocols(&self, authority: &str, target: &str) -> &[String] {
        self.route_path(authority, target)
            .and_then(|(catalog, segments)| {
                catalog
                    .graphql_endpoint(&segments)
                    .filter(|ep| ep.schema.is_some())
            })
            .map_or(&[], |ep| ep.websocket.as_slice())
    }

    /// Reads a request as the operations it asks its provider to perform.
    pub fn inspect(&self, req: &RequestView<'_>) -> Inspection {
        let Some(catalog) = self.provider_for(req.host) else {
            return Inspection {
                provider: None,
                endpoint: EndpointKind::NotProvider,
                operations: Vec::new(),
                credential: PresentedCredential::None,
                reading: Reading::Nothing,
            };
        };
        if catalog.provider == crate::aws::PROVIDER {
            return crate::aws::inspection(req);
        }
        let provider = catalog.provider.as_str();
        let (path, query) = match req.target.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (req.target, None),
        };
        let query_pairs = query.map(|q| parse_urlencoded(q.as_bytes()));
        let credential = credentials::presented(
            &catalog.credentials,
            req.headers,
            query_pairs
                .as_ref()
                .and_then(Option::as_deref)
                .unwrap_or(&[]),
        );
        let segments = rest::normalize_path(path, catalog.case_insensitive_paths);
        let endpoint = endpoint_kind(catalog, &segments);
        let read = prepare::prepare(self, catalog, req, query_pairs, segments)
            .and_then(|p| self.operations(catalog, req, path, p));
        let (operations, reading) = match read {
            Ok(read) => read,
            Err((label, why)) => (
                vec![Operation::unknown(provider, label, why)],
                Reading::Nothing,
            ),
        };
        Inspection {
            provider: Some(provider.to_owned()),
            endpoint,
            operations,
            credential,
            reading,
        }
    }

    /// The operations of a prepared request, and what was read: a GraphQL
    /// endpoint's documents, or a REST route.
    fn operations(
        &self,
        catalog: &Catalog,
        req: &RequestView<'_>,
        path: &str,
        p: prepare::Prepared<'_>,
    ) -> Result<(Vec<Operation>, Reading), Unread> {
        let provider = catalog.provider.as_str();
        let graphql_endpoint = match p.encoded_slash {
            true => None,
            false => catalog.graphql_endpoint(&p.segments),
        };
        let mut operations = Vec::new();
        let reading = match graphql_endpoint {
            Some(ep) => {
                let Some(schema) = &ep.schema else {
                    return Err((
                        "unknown-endpoint",
                        format!(
                            "{path} has no published schema; scopegate cannot read what it does"
                        ),
                    ));
                };
                let requests = graphql::extract(
                    req.method,
                    &p.query_pairs,
                    p.content_type,
                    &p.body,
                    &self.limits,
                )
                .map_err(|why| ("unreadable-graphql", why))?;
                for r in &requests {
                    let analysed = self.cache.get(&r.query, &self.limits);
                    match analysed.as_ref() {
                        Ok(a) => graphql::operations_for(provider, schema, a, r, &mut operations),
                        Err(why) => return Err(("unreadable-graphql", why.clone())),
                    }
                }
                Reading::Graphql(requests)
            }
            None => {
                let (op, reading) = rest_operation(catalog, req, path, p)?;
                operations.push(op);
                reading
            }
        };
        for op in &mut operations {
            finish_resources(catalog, op);
        }
        Ok((operations, reading))
    }
}

/// Why a request is `unknown`: a short label and the reason.
type Unread = (&'static str, String);

/// How a refusal to this path is shaped: GraphQL's, or the provider's REST
/// error shape.
fn endpoint_kind(
    catalog: &Catalog,
    segments: &Result<Vec<String>, rest::PathError>,
) -> EndpointKind {
    match segments {
        Ok(s) if catalog.graphql_endpoint(s).is_some() => EndpointKind::Graphql,
        _ => match catalog.refusal {
            crate::catalog::raw::RefusalShape::Message => EndpointKind::Rest,
            crate::catalog::raw::RefusalShape::ErrorsList => EndpointKind::RestErrorsList,
            crate::catalog::raw::RefusalShape::ErrorObject => EndpointKind::RestErrorObject,
        },
    }
}

/// The REST route a prepared request matches, as an operation with its
/// resources and escalations, and the reading (query, masked secrets).
fn rest_operation(
    catalog: &Catalog,
    req: &RequestView<'_>,
    path: &str,
    p: prepare::Prepared<'_>,
) -> Result<(Operation, Reading), Unread> {
    let provider = catalog.provider.as_str();
    let found = match p.encoded_slash {
        true => Some(
            crate::encoded_slash::find(catalog, req.method, path)
                .map_err(|why| ("unreadable-path", why))?,
        ),
        false => catalog.rest.find(req.method, &p.segments),
    };
    let Some(m) = found else {
        return Err((
            "unknown-route",
            format!("{} {path} is not in the {provider} catalogue", req.method),
        ));
    };
    let mut op = Operation::new(provider, m.name, m.class);
    if !m.escalate.is_empty() {
        escalate::rest(&mut op, m.escalate, p.content_type, &p.body, &p.query_pairs);
    }
    for (k, v) in m.params {
        op.add_resource(&k, v);
    }
    if !m.resources.is_empty() {
        escalate::rest_resources(
            &mut op,
            m.resources,
            p.content_type,
            &p.body,
            &p.query_pairs,
        );
    }
    if !catalog.query_resources.is_empty() {
        query_resources(catalog, &p.query_pairs, &mut op);
    }
    let reading = Reading::Rest {
        query: without_credentials(&catalog.credentials, p.query_pairs),
        secret: m.secret.to_vec(),
    };
    Ok((op, reading))
}

/// Query parameters with credential values masked: a reading is shown and
/// kept, a credential never is (the grant key binds it through the target
/// and the fingerprint).
fn without_credentials(
    spec: &crate::catalog::CredentialSpec,
    mut pairs: Vec<(String, String)>,
) -> Vec<(String, String)> {
    for (k, v) in &mut pairs {
        if spec.query.contains(k) {
            crate::redact::MASK.clone_into(v);
        }
    }
    pairs
}

/// Resources named by query parameters (`?teamId=`): every value is one,
/// so a rule on the kind must accept them all.
fn query_resources(catalog: &Catalog, pairs: &[(String, String)], op: &mut Operation) {
    for (param, kind) in &catalog.query_resources {
        for (k, v) in pairs {
            if k == param {
                op.add_resource(kind, v.clone());
            }
        }
    }
}

/// Lowercases case-insensitive resource kinds and adds composite ones.
fn finish_resources(catalog: &Catalog, op: &mut Operation) {
    if op.class == OpClass::Unknown {
        return;
    }
    for kind in &catalog.lowercase_resources {
        if let Some(vals) = op.resources.remove(kind) {
            for v in vals {
                op.add_resource(kind, v.to_lowercase());
            }
        }
    }
    for (kind, tmpl) in &catalog.composite_resources {
        if let Some(v) = tmpl.render(&op.resources) {
            let v = if catalog.lowercase_resources.contains(kind) {
                v.to_lowercase()
            } else {
                v
            };
            op.add_resource(kind, v);
        }
    }
}

/// A method override that names another method makes the request
/// ambiguous: the provider might honour it or not.
fn method_override(
    req: &RequestView<'_>,
    query: &[(String, String)],
    content_type: Option<&str>,
    body: &[u8],
) -> Option<String> {
    let differs = |v: &str| !v.trim().eq_ignore_ascii_case(req.method);
    for h in OVERRIDE_HEADERS {
        for v in req.header(h) {
            match std::str::from_utf8(v) {
                Ok(v) if !differs(v) => {}
                _ => return Some(format!("the {h} header asks for another method")),
            }
        }
    }
    if query.iter().any(|(k, v)| k == "_method" && differs(v)) {
        return Some("the _method parameter asks for another method".into());
    }
    // Servers (Rack's MethodOverride among them) read `_method` from
    // urlencoded and multipart forms, and take the media type leniently (up
    // to the first `;` or `,`). A form that does not decode could still hold
    // a `_method` a more lenient server reads.
    let essence = content_type
        .and_then(|ct| ct.split([';', ',']).next())
        .map(|e| e.trim().to_ascii_lowercase());
    match essence.as_deref() {
        Some("application/x-www-form-urlencoded") => match parse_urlencoded(body) {
            Some(pairs) if pairs.iter().any(|(k, v)| k == "_method" && differs(v)) => {
                return Some("the _method form field asks for another method".into());
            }
            Some(_) => {}
            None => {
                return Some("a form body that does not decode could hold a _method field".into());
            }
        },
        Some("multipart/form-data") if !body.is_empty() => {
            let boundary = content_type.and_then(MediaType::parse);
            let parts = boundary
                .as_ref()
                .and_then(|m| m.param("boundary"))
                .and_then(|b| parse_multipart(body, b));
            let Some(parts) = parts else {
                return Some(
                    "a multipart body that does not parse could hold a _method field".into(),
                );
            };
            let overrides = |p: &Part<'_>| {
                p.name == "_method" && std::str::from_utf8(p.body).map_or(true, differs)
            };
            if parts.iter().any(overrides) {
                return Some("the _method form field asks for another method".into());
            }
        }
        _ => {}
    }
    None
}

/// Canonical form of an authority: lowercase host without a trailing dot,
/// IPv6 brackets kept, and the port if any (`default` when absent).
pub fn canonical_host(authority: &str, default: u16) -> (String, u16) {
    let a = authority.trim();
    let (host, port) = if let Some(rest) = a.strip_prefix('[') {
        match rest.split_once(']') {
            Some((h, p)) => (
                format!("[{h}]"),
                p.strip_prefix(':').and_then(|p| p.parse().ok()),
            ),
            None => (a.to_owned(), None),
        }
    } else {
        match a.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_owned(), p.parse().ok()),
            _ => (a.to_owned(), None),
        }
    };
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    (host, port.unwrap_or(default))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_hosts() {
        assert_eq!(
            canonical_host("Backboard.Railway.COM.:443", 443),
            ("backboard.railway.com".into(), 443)
        );
        assert_eq!(
            canonical_host("api.github.com", 443),
            ("api.github.com".into(), 443)
        );
        assert_eq!(
            canonical_host("api.github.com:8443", 443),
            ("api.github.com".into(), 8443)
        );
        assert_eq!(canonical_host("[::1]:80", 443), ("[::1]".into(), 80));
    }
}
