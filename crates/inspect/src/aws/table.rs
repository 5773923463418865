//! The AWS catalogue: `services.tsv` and `operations.tsv` (derived from
//! botocore, see config/catalog/aws/) plus the hand-made `overrides.toml`,
//! parsed once into lookup maps.

use std::collections::HashMap;

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

/// One operation of one service.
#[derive(Debug, Clone)]
pub struct OpEntry {
    pub name: String,
    pub method: String,
    pub template: Template,
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
    pub ops: Vec<OpEntry>,
    by_name: HashMap<String, usize>,
}

impl Service {
    pub fn op(&self, name: &str) -> Option<&OpEntry> {
        self.by_name.get(name).map(|&i| &self.ops[i])
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

    pub fn parse(services: &str, operations: &str, overrides: &str) -> Result<Self, TableError> {
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
        for (n, cols) in rows(operations, 6) {
            let cols = cols.map_err(|e| TableError::Operation(n, e))?;
            let &i = by_id
                .get(cols[0])
                .ok_or_else(|| TableError::Operation(n, format!("unknown service {}", cols[0])))?;
            let svc = &mut table.services[i];
            let op = operation(&cols, &svc.name_prefix, &overrides)
                .map_err(|e| TableError::Operation(n, e))?;
            svc.by_name.insert(op.name.clone(), svc.ops.len());
            svc.ops.push(op);
        }
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

    pub fn operation_count(&self) -> usize {
        self.services.iter().map(|s| s.ops.len()).sum()
    }
}

/// Data rows (not `#` comments, not the header), split on tabs into
/// exactly `n` columns, with their 1-based line numbers.
fn rows(text: &str, n: usize) -> impl Iterator<Item = (usize, Result<Vec<&str>, String>)> {
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
    let protocols = c[3]
        .split(',')
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
        by_name: HashMap::new(),
    })
}

fn operation(c: &[&str], prefix: &str, ov: &Overrides) -> Result<OpEntry, String> {
    let heuristic = OpClass::parse(c[4]).ok_or_else(|| format!("unknown class {}", c[4]))?;
    let class = ov
        .class
        .get(&format!("{prefix}:{}", c[1]))
        .copied()
        .unwrap_or(heuristic);
    Ok(OpEntry {
        name: c[1].to_owned(),
        method: c[2].to_owned(),
        template: Template::parse(c[3])?,
        class,
        iam_sensitive: c[5].split(',').any(|t| t == "iam-sensitive"),
    })
}

fn s3_subresources(t: &Table) -> Vec<String> {
    let mut keys: Vec<String> = t
        .at_endpoint("s3")
        .flat_map(|s| &s.ops)
        .flat_map(|o| o.template.query.iter().map(|(k, _)| k.clone()))
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
        // generous bound for an unoptimised debug build on a shared machine
        assert!(took.as_millis() < 2_000, "took {took:?}");
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
    fn a_short_row_is_refused_with_its_line() {
        let err = Table::parse("# c\nh\nx\tjson\n", "# c\nh\n", "").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }
}
