//! The AWS catalogue: `services.tsv` and `operations.tsv` (derived from
//! botocore, see config/catalog/aws/) plus the hand-made `overrides.toml`,
//! parsed once into lookup maps.

use std::collections::HashMap;
use std::sync::OnceLock;

use scopegate_model::OpClass;

use super::overrides::{Escalation, Overrides};
use super::template::Template;

pub const SERVICES_TSV: &str = include_str!("../../../../config/catalog/aws/services.tsv");
pub const OPERATIONS_TSV: &str = include_str!("../../../../config/catalog/aws/operations.tsv");
pub const OVERRIDES_TOML: &str = include_str!("../../../../config/catalog/aws/overrides.toml");

/// A wire protocol a service speaks (services.tsv `protocols`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json,
    Query,
    Ec2,
    RestJson,
    RestXml,
    Cbor,
}

impl Protocol {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "json" => Self::Json,
            "query" => Self::Query,
            "ec2" => Self::Ec2,
            "rest-json" => Self::RestJson,
            "rest-xml" => Self::RestXml,
            "smithy-rpc-v2-cbor" => Self::Cbor,
            _ => return None,
        })
    }

    pub fn is_rest(self) -> bool {
        matches!(self, Self::RestJson | Self::RestXml)
    }
}

/// One operation of one service (borrowed from the embedded tables).
#[derive(Debug, Clone)]
pub struct OpEntry {
    pub name: &'static str,
    pub method: &'static str,
    /// The `requestUri` template, compiled on the service's first REST
    /// request ([`Service::templates`]).
    pub uri: &'static str,
    pub class: OpClass,
    pub iam_sensitive: bool,
}

/// One service (a botocore service id).
#[derive(Debug, Clone)]
pub struct Service {
    pub id: String,
    pub protocols: Vec<Protocol>,
    pub endpoint_prefix: String,
    /// The SigV4 service name (services.tsv `signing_name`, else the
    /// endpoint prefix).
    pub signing_name: String,
    /// The prefix of operation names (`s3` in `s3:DeleteBucket`).
    pub name_prefix: String,
    pub target_prefix: String,
    /// Sorted by name.
    pub ops: Vec<OpEntry>,
    templates: OnceLock<Vec<Option<Template>>>,
}

impl Service {
    pub fn op(&self, name: &str) -> Option<&OpEntry> {
        self.index(name).map(|i| &self.ops[i])
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.ops.binary_search_by(|o| o.name.cmp(name)).ok()
    }

    /// The compiled template of every operation, in `ops` order (`None`
    /// for one that does not parse; a unit test keeps that from happening).
    pub fn templates(&self) -> &[Option<Template>] {
        self.templates.get_or_init(|| {
            self.ops
                .iter()
                .map(|o| Template::parse(o.uri).ok())
                .collect()
        })
    }

    pub fn speaks(&self, p: Protocol) -> bool {
        self.protocols.contains(&p)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TableError {
    #[error("services.tsv line {0}: {1}")]
    Service(usize, String),
    #[error("operations.tsv line {0}: {1}")]
    Operation(usize, String),
    #[error("overrides.toml: {0}")]
    Overrides(String),
}

/// Every AWS service and operation scopegate can read.
#[derive(Debug)]
pub struct Table {
    pub services: Vec<Service>,
    by_endpoint: HashMap<String, Vec<usize>>,
    escalations: HashMap<String, Vec<Escalation>>,
    /// Query keys S3 templates name as sub-resources (`delete`, `policy`).
    pub s3_subresources: Vec<String>,
}

impl Table {
    /// The bundled catalogue.
    pub fn bundled() -> Result<Self, TableError> {
        Self::parse(SERVICES_TSV, OPERATIONS_TSV, OVERRIDES_TOML)
    }

    pub fn parse(
        services: &'static str,
        operations: &'static str,
        overrides: &str,
    ) -> Result<Self, TableError> {
        let overrides = Overrides::parse(overrides).map_err(TableError::Overrides)?;
        let mut table = Self {
            services: Vec::new(),
            by_endpoint: HashMap::new(),
            escalations: HashMap::new(),
            s3_subresources: Vec::new(),
        };
        let mut by_id = HashMap::new();
        for (n, cols) in rows(services, 9) {
            let cols = cols.map_err(|e| TableError::Service(n, e))?;
            let svc = service(&cols, &overrides).map_err(|e| TableError::Service(n, e))?;
            by_id.insert(svc.id.clone(), table.services.len());
            table
                .by_endpoint
                .entry(svc.endpoint_prefix.clone())
                .or_default()
                .push(table.services.len());
            table.services.push(svc);
        }
        // rows come grouped by service: look the service up when it changes
        let mut current: Option<(&str, usize)> = None;
        for (n, cols) in rows(operations, 6) {
            let cols = cols.map_err(|e| TableError::Operation(n, e))?;
            let i = match current {
                Some((id, i)) if id == cols[0] => i,
                _ => {
                    let &i = by_id.get(cols[0]).ok_or_else(|| {
                        TableError::Operation(n, format!("unknown service {}", cols[0]))
                    })?;
                    current = Some((cols[0], i));
                    i
                }
            };
            let op = operation(&cols).map_err(|e| TableError::Operation(n, e))?;
            table.services[i].ops.push(op);
        }
        for svc in &mut table.services {
            svc.ops.sort_by(|a, b| a.name.cmp(b.name));
            if let Some(w) = svc.ops.windows(2).find(|w| w[0].name == w[1].name) {
                return Err(TableError::Operation(
                    0,
                    format!("{} {} twice", svc.id, w[0].name),
                ));
            }
        }
        table.apply_classes(&overrides);
        table.escalations = overrides.escalations();
        table.s3_subresources = s3_subresources(&table);
        Ok(table)
    }

    /// The services answering at an endpoint prefix (`rds` serves rds,
    /// docdb and neptune).
    pub fn at_endpoint(&self, prefix: &str) -> impl Iterator<Item = &Service> {
        self.by_endpoint
            .get(prefix)
            .into_iter()
            .flatten()
            .map(|&i| &self.services[i])
    }

    pub fn is_endpoint(&self, prefix: &str) -> bool {
        self.by_endpoint.contains_key(prefix)
    }

    /// Escalation rules for an operation name (`rds:ModifyDBInstance`).
    pub fn escalations(&self, name: &str) -> &[Escalation] {
        self.escalations.get(name).map_or(&[], Vec::as_slice)
    }

    /// overrides.toml `[class]`, by `prefix:Operation`.
    fn apply_classes(&mut self, ov: &Overrides) {
        for (name, &class) in &ov.class {
            let Some((prefix, op)) = name.split_once(':') else {
                continue;
            };
            for svc in self.services.iter_mut().filter(|s| s.name_prefix == prefix) {
                if let Some(i) = svc.index(op) {
                    svc.ops[i].class = class;
                }
            }
        }
    }

    pub fn operation_count(&self) -> usize {
        self.services.iter().map(|s| s.ops.len()).sum()
    }
}

/// Data rows (not `#` comments, not the header), split on tabs into
/// exactly `n` columns, with their 1-based line numbers.
fn rows(
    text: &'static str,
    n: usize,
) -> impl Iterator<Item = (usize, Result<Vec<&'static str>, String>)> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.is_empty())
        .skip(1)
        .map(move |(i, l)| {
            let cols: Vec<&str> = l.split('\t').collect();
            let r = if cols.len() == n {
                Ok(cols)
            } else {
                Err(format!("{} columns, want {n}", cols.len()))
            };
            (i + 1, r)
        })
}

fn service(c: &[&str], ov: &Overrides) -> Result<Service, String> {
    let also = ov.also_speaks.get(c[0]).into_iter().flatten();
    let protocols = c[3]
        .split(',')
        .chain(also.map(String::as_str))
        .map(|p| Protocol::parse(p).ok_or_else(|| format!("unknown protocol {p}")))
        .collect::<Result<Vec<_>, _>>()?;
    let endpoint_prefix = c[4].to_owned();
    let signing_name = if c[5].is_empty() {
        &endpoint_prefix
    } else {
        c[5]
    }
    .to_owned();
    let name_prefix = ov
        .prefix
        .get(c[0])
        .cloned()
        .unwrap_or_else(|| signing_name.clone());
    Ok(Service {
        id: c[0].to_owned(),
        protocols,
        endpoint_prefix,
        signing_name,
        name_prefix,
        target_prefix: c[6].to_owned(),
        ops: Vec::new(),
        templates: OnceLock::new(),
    })
}

fn operation(c: &[&'static str]) -> Result<OpEntry, String> {
    let class = OpClass::parse(c[4]).ok_or_else(|| format!("unknown class {}", c[4]))?;
    if !c[3].starts_with('/') {
        return Err(format!("request_uri {} does not start with /", c[3]));
    }
    Ok(OpEntry {
        name: c[1],
        method: c[2],
        uri: c[3],
        class,
        iam_sensitive: c[5].split(',').any(|t| t == "iam-sensitive"),
    })
}

fn s3_subresources(t: &Table) -> Vec<String> {
    let mut keys: Vec<String> = t
        .at_endpoint("s3")
        .flat_map(|s| s.templates())
        .flatten()
        .flat_map(|tpl| tpl.query.iter().map(|(k, _)| k.clone()))
        .collect();
    keys.sort();
    keys.dedup();
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_catalogue_parses_quickly() {
        let start = std::time::Instant::now();
        let t = Table::bundled().unwrap();
        let took = start.elapsed();
        eprintln!(
            "parsed {} services, {} operations in {took:?}",
            t.services.len(),
            t.operation_count()
        );
        assert_eq!(t.services.len(), 445);
        assert_eq!(t.operation_count(), 20_027);
        // ~40 ms in an unoptimised debug build; generous for a loaded machine
        assert!(took.as_millis() < 1_000, "took {took:?}");
    }

    #[test]
    fn overrides_apply_by_operation_name() {
        let t = Table::bundled().unwrap();
        let s3 = t.at_endpoint("s3").next().unwrap();
        assert_eq!(s3.op("PutObject").unwrap().class, OpClass::Write);
        assert_eq!(
            s3.op("PutBucketPolicy").unwrap().class,
            OpClass::Destructive
        );
        assert!(s3.op("PutBucketPolicy").unwrap().iam_sensitive);
        assert!(t.s3_subresources.iter().any(|k| k == "delete"));
        let cw = t.at_endpoint("monitoring").next().unwrap();
        assert_eq!(cw.name_prefix, "cloudwatch");
        assert_eq!(cw.signing_name, "monitoring");
    }

    #[test]
    fn every_template_compiles() {
        let t = Table::bundled().unwrap();
        for svc in &t.services {
            for (op, tpl) in svc.ops.iter().zip(svc.templates()) {
                assert!(tpl.is_some(), "{} {} {}", svc.id, op.name, op.uri);
            }
        }
    }

    #[test]
    fn a_short_row_is_refused_with_its_line() {
        let err = Table::parse("# c\nh\nx\tjson\n", "# c\nh\n", "").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }
}
