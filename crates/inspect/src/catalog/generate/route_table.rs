//! Route tables: one REST operation per row of a tab-separated file whose
//! header names the columns (`http_method`, `path`, `class`, and whatever
//! the operation name is made of). The class is the table's own
//! (`read`, `write`, `destructive`); a `payload-dependent` route must be
//! given an override entry (a class, or a write with escalations).

use std::collections::BTreeMap;

use super::super::raw::{CatalogFile, RestRoute};
use super::super::registry::RouteTable;
use super::super::review::{self, Outcome};
use super::render;

/// Builds a catalogue from a route table and the overrides file.
pub fn generate(spec: &RouteTable, tsv: &str, overrides: &str) -> Result<String, String> {
    let out: CatalogFile = toml::from_str(overrides).map_err(|e| format!("overrides: {e}"))?;
    let name = NameTemplate::parse(&spec.name)?;
    let mut routes: BTreeMap<(String, String), RestRoute> = BTreeMap::new();
    let mut payload_dependent = Vec::new();
    let mut lines = tsv
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or("route table: no header row")?
        .1
        .split('\t')
        .collect();
    let col = |n: &str| {
        header
            .iter()
            .position(|h| *h == n)
            .ok_or(format!("route table: no `{n}` column"))
    };
    let (method_col, path_col, class_col) = (col("http_method")?, col("path")?, col("class")?);
    let name_cols = name
        .columns()
        .map(|c| col(c).map(|i| (c, i)))
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    for (i, line) in lines {
        let cols: Vec<&str> = line.split('\t').collect();
        let cell = |c: usize| {
            cols.get(c)
                .copied()
                .ok_or(format!("route table line {}: too few columns", i + 1))
        };
        let (method, class) = (cell(method_col)?, cell(class_col)?);
        let path = template(spec, cell(path_col)?);
        let op_name = name.render(|c| cell(name_cols[c]))?;
        let key = (path.clone(), method.to_owned());
        match class {
            "read" | "write" | "destructive" => {}
            "payload-dependent" => {
                payload_dependent.push((key, op_name));
                continue;
            }
            other => return Err(format!("route table line {}: class `{other}`", i + 1)),
        }
        let route = RestRoute {
            method: method.to_owned(),
            path,
            name: op_name,
            class: class.to_owned(),
            escalate: Vec::new(),
            resources: BTreeMap::new(),
            streamed: false,
        };
        match routes.get(&key) {
            Some(prev) if rank(&prev.class) >= rank(class) => {}
            _ => {
                routes.insert(key, route);
            }
        }
    }
    merge(out, routes, &payload_dependent)
}

/// Merges generated routes with the overrides file: an override replaces
/// the generated route with its method and path; every payload-dependent
/// route must have one; every override carries a [review] judgement that
/// agrees with it. Shared by the REST source formats.
pub(super) fn merge(
    mut out: CatalogFile,
    routes: BTreeMap<(String, String), RestRoute>,
    payload_dependent: &[((String, String), String)],
) -> Result<String, String> {
    let overridden: Vec<(String, String)> = out
        .rest
        .iter()
        .map(|r| (r.path.clone(), r.method.clone()))
        .collect();
    let mut problems: Vec<String> = payload_dependent
        .iter()
        .filter(|(k, _)| !overridden.contains(k))
        .map(|((path, method), name)| {
            format!(
                "`{name}` ({method} {path}) is payload-dependent: give it a [[rest]] override with its escalations"
            )
        })
        .collect();
    let outcomes = out
        .rest
        .iter()
        .map(|r| {
            let o = Outcome {
                class: &r.class,
                escalates: !r.escalate.is_empty(),
            };
            (r.name.clone(), o)
        })
        .collect();
    let must_review = out.rest.iter().map(|r| r.name.clone()).collect();
    problems.extend(review::check(&out.review, &must_review, &outcomes));
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    out.review.clear();
    let mut rest: Vec<RestRoute> = routes
        .into_iter()
        .filter(|(k, _)| !overridden.contains(k))
        .map(|(_, r)| r)
        .collect();
    rest.append(&mut out.rest);
    rest.sort_by(|a, b| (&a.path, &a.method).cmp(&(&b.path, &b.method)));
    out.rest = rest;
    render(&out)
}

/// The catalogue's path template for a table path: the base path before
/// it, RFC 6570 query expansions (`{?per_page}`) and queries (`?org_slug=`)
/// dropped, anonymous
/// parameters named, and a final rest parameter marked (`{ref*}`).
fn template(spec: &RouteTable, path: &str) -> String {
    let path = path.split("{?").next().unwrap_or(path);
    let path = path.split('?').next().unwrap_or(path);
    let mut out = spec.base_path.trim_end_matches('/').to_owned();
    let (mut last_literal, mut run) = ("", 0);
    let mut used: Vec<String> = Vec::new();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        // A segment of text and parameters (`{scan_id}.png`) is read as one
        // parameter, named after its first: the route still matches.
        let seg = match seg.find('{') {
            Some(i)
                if !(seg.starts_with('{')
                    && seg.ends_with('}')
                    && seg.matches('{').count() == 1) =>
            {
                let end = seg[i..].find('}').map_or(seg.len(), |e| i + e + 1);
                &seg[i..end]
            }
            _ => seg,
        };
        if seg == "{}" {
            let named = spec
                .param_names
                .get(last_literal)
                .and_then(|names| names.get(run).cloned())
                .unwrap_or_else(|| param_name(last_literal, run));
            let mut unique = named.clone();
            let mut n = 2;
            while used.contains(&unique) {
                unique = format!("{named}{n}");
                n += 1;
            }
            out.push_str(&format!("{{{unique}}}"));
            used.push(unique);
            run += 1;
        } else {
            if let Some(p) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                used.push(p.to_owned());
                run += 1;
            } else {
                (last_literal, run) = (seg, 0);
            }
            out.push_str(seg);
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    for greedy in &spec.rest_params {
        if out.ends_with(&format!("{{{greedy}}}")) {
            out.insert(out.len() - 1, '*');
        }
    }
    out
}

/// The documented heuristic for an anonymous parameter: the segment
/// before it, singular and camelCase, with `Id` (`env-vars` →
/// `envVarId`); a second one in a row is `…Id2`.
fn param_name(segment: &str, run: usize) -> String {
    let singular = if let Some(s) = segment.strip_suffix("ies") {
        format!("{s}y")
    } else if ["sses", "xes", "ches", "shes"]
        .iter()
        .any(|e| segment.ends_with(e))
    {
        segment[..segment.len() - 2].to_owned()
    } else if segment.ends_with("ss") || segment.ends_with("us") {
        segment.to_owned()
    } else {
        segment.strip_suffix('s').unwrap_or(segment).to_owned()
    };
    let mut out = String::new();
    let mut upper = false;
    for c in singular.chars() {
        if c == '-' || c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    if out.is_empty() {
        out.push_str("param");
    }
    match run {
        0 => format!("{out}Id"),
        n => format!("{out}Id{}", n + 1),
    }
}

pub(super) fn rank(class: &str) -> u8 {
    match class {
        "destructive" => 2,
        "write" => 1,
        _ => 0,
    }
}

/// `{scope}/{method_name|kebab}`: literal text and columns.
struct NameTemplate(Vec<NamePart>);

enum NamePart {
    Text(String),
    Column { name: String, kebab: bool },
}

impl NameTemplate {
    fn parse(s: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = s;
        while !rest.is_empty() {
            if let Some(after) = rest.strip_prefix('{') {
                let end = after
                    .find('}')
                    .ok_or(format!("name template `{s}`: unclosed '{{'"))?;
                let (name, kebab) = match after[..end].split_once('|') {
                    Some((n, "kebab")) => (n, true),
                    Some((_, f)) => return Err(format!("name template `{s}`: no filter `{f}`")),
                    None => (&after[..end], false),
                };
                parts.push(NamePart::Column {
                    name: name.to_owned(),
                    kebab,
                });
                rest = &after[end + 1..];
            } else {
                let end = rest.find('{').unwrap_or(rest.len());
                parts.push(NamePart::Text(rest[..end].to_owned()));
                rest = &rest[end..];
            }
        }
        Ok(Self(parts))
    }

    fn columns(&self) -> impl Iterator<Item = &str> {
        self.0.iter().filter_map(|p| match p {
            NamePart::Column { name, .. } => Some(name.as_str()),
            NamePart::Text(_) => None,
        })
    }

    fn render<'a>(&self, cell: impl Fn(&str) -> Result<&'a str, String>) -> Result<String, String> {
        let mut out = String::new();
        for p in &self.0 {
            match p {
                NamePart::Text(t) => out.push_str(t),
                NamePart::Column { name, kebab: false } => out.push_str(cell(name)?),
                NamePart::Column { name, kebab: true } => out.push_str(&kebab(cell(name)?)),
            }
        }
        Ok(out)
    }
}

pub(super) fn kebab(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 4);
    for c in s.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(base: &str) -> RouteTable {
        RouteTable {
            routes: "x.tsv".into(),
            base_path: base.into(),
            name: "{op|kebab}".into(),
            rest_params: vec!["ref".into()],
            param_names: [("objects".to_owned(), vec!["ownerId".to_owned()])].into(),
        }
    }

    #[test]
    fn templates_take_the_base_and_name_anonymous_parameters() {
        let s = spec("/v1");
        assert_eq!(
            template(&s, "/services/{}/env-vars/{}"),
            "/v1/services/{serviceId}/env-vars/{envVarId}"
        );
        assert_eq!(
            template(&s, "/objects/{}/{}"),
            "/v1/objects/{ownerId}/{objectId2}"
        );
        assert_eq!(
            template(&s, "/policies/{}/addresses/{}"),
            "/v1/policies/{policyId}/addresses/{addressId}"
        );
        assert_eq!(template(&s, "/x/{id}/refs/{ref}"), "/v1/x/{id}/refs/{ref*}");
        assert_eq!(template(&spec(""), "/a{?page}"), "/a");
        assert_eq!(template(&spec(""), "/apps?org_slug="), "/apps");
        assert_eq!(template(&spec(""), "/s/{scan_id}.png"), "/s/{scan_id}");
        assert_eq!(template(&spec(""), "/e/{t}.{n}"), "/e/{t}");
        assert_eq!(kebab("DeleteArtifactSource"), "delete-artifact-source");
    }

    const HEAD: &str = "version = 1\nprovider = \"p\"\nhosts = [\"p.example\"]\n";
    const TSV: &str = "# comment\nhttp_method\tpath\top\tclass\n\
        GET\t/things/{}\tGetThing\tread\n\
        POST\t/things/{}/batch\tBatchThings\tpayload-dependent\n";

    #[test]
    fn payload_dependent_routes_need_an_override() {
        let err = generate(&spec("/v1"), TSV, HEAD).unwrap_err();
        assert!(err.contains("`batch-things`"), "{err}");
        assert!(err.contains("payload-dependent"), "{err}");
        let over = format!(
            "{HEAD}[[rest]]\nmethod = \"POST\"\npath = \"/v1/things/{{thingId}}/batch\"\n\
             name = \"batch-things\"\nclass = \"write\"\n\
             escalate = [{{ arg = \"body.deletes\", when = \"present\", class = \"destructive\", why = \"deletes\" }}]\n\
             [review]\nbatch-things = {{ judgement = \"escalate\", why = \"deletes when asked\" }}\n"
        );
        let ok = generate(&spec("/v1"), TSV, &over).unwrap();
        crate::Catalog::from_toml("t", &ok).unwrap();
        assert!(ok.contains("path = \"/v1/things/{thingId}\""), "{ok}");
        assert!(ok.contains("name = \"get-thing\""), "{ok}");
    }

    #[test]
    fn the_header_names_the_columns() {
        let err = generate(&spec(""), "method\tpath\n", HEAD).unwrap_err();
        assert!(err.contains("no `http_method` column"), "{err}");
        let err = generate(&spec(""), "http_method\tpath\tclass\n", HEAD).unwrap_err();
        assert!(err.contains("no `op` column"), "{err}");
    }
}
