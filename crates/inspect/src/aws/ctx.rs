//! One request being read: host, scope and protocol checks, then the
//! operations the protocol reader found, finished with class, region,
//! account and escalations.

use std::borrow::Cow;

use scopegate_model::{OpClass, Operation};

use super::host::{self, Endpoint};
use super::scope::{Scope, scope};
use super::table::{OpEntry, Protocol, Service, Table};
use super::{PROVIDER, escalate, protocol};
use crate::RequestView;
use crate::content::{MediaType, parse_urlencoded};
use crate::limits::Limits;

/// Why a request is one `unknown` operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub label: &'static str,
    pub why: String,
}

pub fn refuse<T>(label: &'static str, why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        label,
        why: why.into(),
    })
}

/// An operation a protocol reader found.
pub struct Found {
    /// Name and resources set; class is filled in afterwards.
    pub op: Operation,
    /// Top-level arguments, `None` when they were not read.
    pub params: Option<Vec<(String, String)>>,
    /// Every member name in the arguments, at any depth.
    pub members: Vec<String>,
}

impl Found {
    pub fn new(svc: &Service, entry: &OpEntry) -> Self {
        let name = format!("{}:{}", svc.name_prefix, entry.name);
        Self {
            op: Operation::new(PROVIDER, name, entry.class),
            params: None,
            members: Vec::new(),
        }
    }
}

pub struct Ctx<'t, 'r> {
    pub table: &'t Table,
    pub req: &'r RequestView<'r>,
    pub path: &'r str,
    pub query: Vec<(String, String)>,
    pub endpoint: Endpoint,
    /// The services at the host that the scope allows.
    pub services: Vec<&'t Service>,
    region: Option<String>,
}

impl<'t, 'r> Ctx<'t, 'r> {
    pub fn new(table: &'t Table, req: &'r RequestView<'r>) -> Result<Self, Refusal> {
        let endpoint = match host::parse(table, req.host) {
            Ok(e) => e,
            Err(why) => return refuse("unknown-host", why),
        };
        let (path, raw_query) = req.target.split_once('?').unwrap_or((req.target, ""));
        if !path.starts_with('/') {
            return refuse("unreadable-target", "the request target is not a path");
        }
        let Some(query) = parse_urlencoded(raw_query.as_bytes()) else {
            return refuse("unreadable-query", "the query string does not decode");
        };
        let auth = header(req, "authorization");
        let mut ctx = Self {
            table,
            req,
            path,
            query,
            services: table.at_endpoint(&endpoint.prefix).collect(),
            region: endpoint.region.clone(),
            endpoint,
        };
        match scope(&auth, &ctx.query) {
            Scope::None => {}
            Scope::Unreadable(why) => return refuse("unreadable-signature", why),
            Scope::Signed { region, service } => ctx.check_scope(region, &service)?,
        }
        Ok(ctx)
    }

    fn check_scope(&mut self, region: Option<String>, service: &str) -> Result<(), Refusal> {
        self.services.retain(|s| s.signing_name == service);
        if self.services.is_empty() {
            return refuse(
                "scope-mismatch",
                format!(
                    "the request is signed for `{service}` but sent to the `{}` endpoint",
                    self.endpoint.prefix
                ),
            );
        }
        match (&self.region, region) {
            (Some(h), Some(s)) if *h != s => refuse(
                "scope-mismatch",
                format!("the request is signed for region {s} but sent to {h}"),
            ),
            (None, r) => {
                self.region = r;
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub fn header(&self, name: &str) -> Vec<&'r [u8]> {
        header(self.req, name)
    }

    /// The one value of a header, if given once and UTF-8.
    pub fn single_header(&self, name: &str) -> Result<Option<&'r str>, Refusal> {
        match self.header(name).as_slice() {
            [] => Ok(None),
            [v] => match std::str::from_utf8(v) {
                Ok(v) => Ok(Some(v.trim())),
                Err(_) => refuse("unreadable-header", format!("{name} is not UTF-8")),
            },
            _ => refuse(
                "unreadable-header",
                format!("{name} is given more than once"),
            ),
        }
    }

    pub fn media_type(&self) -> Result<Option<MediaType>, Refusal> {
        match self.single_header("content-type")? {
            None => Ok(None),
            Some(v) => match MediaType::parse(v) {
                Some(m) => Ok(Some(m)),
                None => refuse("unreadable-header", "content-type does not parse"),
            },
        }
    }

    /// The body with its content-encodings undone.
    pub fn body(&self) -> Result<Cow<'r, [u8]>, Refusal> {
        let enc: Vec<&str> = self
            .header("content-encoding")
            .into_iter()
            .map(|v| std::str::from_utf8(v).unwrap_or("\u{fffd}"))
            .collect();
        let limits = Limits::default();
        crate::decode::decode(
            self.req.body,
            &enc,
            limits.max_decoded_body,
            limits.max_encodings,
        )
        .or_else(|e| refuse("unparsable-body", e.to_string()))
    }

    pub fn speaking(&self, p: Protocol) -> impl Iterator<Item = &'t Service> + '_ {
        self.services.iter().copied().filter(move |s| s.speaks(p))
    }

    fn any_speaks(&self, f: fn(Protocol) -> bool) -> bool {
        self.services
            .iter()
            .any(|s| s.protocols.iter().any(|&p| f(p)))
    }

    /// An `Action` in the query of a request read by another protocol:
    /// a service that also speaks query might run it instead.
    pub fn no_query_action(&self) -> Result<(), Refusal> {
        if self
            .query
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("action"))
        {
            return refuse(
                "ambiguous-action",
                "an Action in the query of a request that names its operation elsewhere",
            );
        }
        Ok(())
    }

    /// An SQS queue URL's path, `/<account>/<queue>`: account and queue.
    pub fn sqs_queue(&self) -> Option<(&str, &str)> {
        if self.endpoint.prefix != "sqs" {
            return None;
        }
        let (account, queue) = self.path.strip_prefix('/')?.split_once('/')?;
        let name_ok = !queue.is_empty()
            && queue.len() <= 80
            && queue
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && name_ok)
            .then_some((account, queue))
    }

    pub fn read(self) -> Result<Vec<Operation>, Refusal> {
        let found = if !self.header("x-amz-target").is_empty() {
            protocol::json::read(&self)?
        } else if self.path.starts_with("/service/") && self.any_speaks(|p| p == Protocol::Cbor) {
            protocol::cbor::read(&self)?
        } else if (self.path == "/" || self.sqs_queue().is_some())
            && self.any_speaks(|p| matches!(p, Protocol::Query | Protocol::Ec2))
        {
            protocol::query::read(&self)?
        } else if self.any_speaks(Protocol::is_rest) {
            protocol::rest::read(&self)?
        } else {
            return refuse(
                "unknown-operation",
                format!(
                    "the request does not have the shape the `{}` endpoint reads",
                    self.endpoint.prefix
                ),
            );
        };
        Ok(self.finish(found))
    }

    fn finish(&self, found: Vec<Found>) -> Vec<Operation> {
        let mut out: Vec<Operation> = Vec::new();
        for mut f in found {
            escalate::apply(self.table, &mut f);
            if let Some(r) = &self.region {
                f.op.add_resource("region", r.clone());
            }
            if let Some(a) = &self.endpoint.account {
                f.op.add_resource("account", a.clone());
            }
            merge(&mut out, f.op);
        }
        out
    }
}

/// Same-named operations (rds, docdb and neptune answer at one endpoint)
/// become one, with the strictest class and every resource.
fn merge(out: &mut Vec<Operation>, op: Operation) {
    let Some(prev) = out.iter_mut().find(|o| o.name == op.name) else {
        out.push(op);
        return;
    };
    if op.class > prev.class {
        prev.class = op.class;
        prev.note = op.note.clone();
    }
    for (k, vs) in op.resources {
        for v in vs {
            prev.add_resource(&k, v);
        }
    }
    if prev.class == OpClass::Unknown && prev.note.is_none() {
        prev.note = op.note;
    }
}

fn header<'r>(req: &RequestView<'r>, name: &str) -> Vec<&'r [u8]> {
    req.headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| *v)
        .collect()
}
