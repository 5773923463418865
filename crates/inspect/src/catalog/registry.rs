//! The provider registry (`config/catalog/providers.toml`): the one list of
//! the providers scopegate reads. The bundled catalogues, `scopegate catalog
//! generate`, the fuzz and end-to-end set-up and the docs' provider table
//! all derive from it, so adding a provider is adding files, not code.

use serde::Deserialize;

/// The registry text, embedded at build time.
pub const REGISTRY: &str = include_str!("../../../../config/catalog/providers.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    pub version: u32,
    #[serde(rename = "provider")]
    pub providers: Vec<Provider>,
}

/// One provider: its name, the catalogue file scopegate embeds, and how
/// that file is generated.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    /// The provider's name, as in operation names (`railway:volumeDelete`).
    pub name: String,
    /// The generated catalogue, in `config/catalog/`.
    pub catalog: String,
    /// The hand-made part, in `config/catalog/`: hosts, credentials,
    /// endpoints, corrected entries and their review.
    pub overrides: String,
    /// The provider's published description, and how to read it.
    pub source: Source,
    /// Further descriptions merged into the same catalogue, in order (Fly:
    /// the GraphQL schema, then the Machines REST route table). Each sees
    /// the catalogue made so far as its overrides, so a REST source comes
    /// last and at most once.
    #[serde(default)]
    pub also: Vec<Source>,
    /// How the provider's resource ids become names (`railway.resolve.toml`,
    /// docs/resource-context.md), embedded like the catalogue.
    #[serde(default)]
    pub resolve: Option<String>,
    /// What its answers say of a token's power (`github.breadth.toml`,
    /// docs/token-breadth.md), embedded like the catalogue.
    #[serde(default)]
    pub breadth: Option<String>,
}

/// The format of a provider's published description. Source files are
/// relative to the providers folder (`../shared/providers`).
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "format", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Source {
    /// A GraphQL introspection result (`__schema`), with a reviewed
    /// classification table of the Mutation fields.
    GraphqlIntrospection {
        schema: String,
        classification: String,
    },
    /// A route table: tab-separated, `#` comments, one header row naming
    /// the columns; `http_method`, `path` and `class` are required.
    RouteTable(RouteTable),
    /// An OpenAPI 3 document in JSON.
    Openapi(Openapi),
    /// A GraphQL schema in SDL; Mutation fields are classed by a
    /// classification table when one is given, else by name.
    GraphqlSdl(GraphqlSdl),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GraphqlSdl {
    pub schema: String,
    /// Words that make a mutation destructive, beyond the common ones
    /// (`unset`, `kill`, `discharge`).
    #[serde(default)]
    pub destructive_words: Vec<String>,
    /// A table classing every Mutation field (`field<TAB>class`, `#`
    /// comments, one header row), as GitHub's `graphql-mutations.tsv`.
    /// When given, it replaces classing by name and must cover the
    /// schema's mutations exactly.
    #[serde(default)]
    pub classification: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Openapi {
    pub spec: String,
    /// Prefixed to every path of the document (`/api/v2`).
    #[serde(default)]
    pub base_path: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteTable {
    pub routes: String,
    /// Prefixed to every path of the table (`/client/v4`).
    #[serde(default)]
    pub base_path: String,
    /// The operation name, from columns: `{column}`, or `{column|kebab}`
    /// for a camelCase or PascalCase value in kebab-case.
    pub name: String,
    /// Parameters that, last in a path, take the rest of it (refs and file
    /// paths hold slashes).
    #[serde(default)]
    pub rest_params: Vec<String>,
    /// Names for anonymous parameters (`{}`), by the literal segment before
    /// them: `postgres = ["postgresId"]`, `objects = ["ownerId", "region",
    /// "key"]` for `/objects/{}/{}/{}`. Without an entry a parameter is
    /// named after that segment, singular, camelCase, with `Id`
    /// (`/env-vars/{}` → `envVarId`).
    #[serde(default)]
    pub param_names: std::collections::BTreeMap<String, Vec<String>>,
}

impl Source {
    /// The source files, relative to the providers folder.
    pub fn files(&self) -> Vec<&str> {
        match self {
            Self::GraphqlIntrospection {
                schema,
                classification,
            } => vec![schema, classification],
            Self::RouteTable(t) => vec![&t.routes],
            Self::Openapi(o) => vec![&o.spec],
            Self::GraphqlSdl(g) => std::iter::once(&g.schema)
                .chain(&g.classification)
                .map(String::as_str)
                .collect(),
        }
    }

    /// A short name for the format, as the docs use it.
    pub fn format(&self) -> &'static str {
        match self {
            Self::GraphqlIntrospection { .. } => "graphql-introspection",
            Self::RouteTable(_) => "route-table",
            Self::Openapi(_) => "openapi",
            Self::GraphqlSdl(_) => "graphql-sdl",
        }
    }
}

impl Registry {
    /// Parses and checks a registry: names unique and free of `:`, files
    /// plain names in the catalogue folder.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let r: Self = toml::from_str(text).map_err(|e| format!("providers.toml: {e}"))?;
        let mut problems = Vec::new();
        if r.version != 1 {
            problems.push(format!("unsupported registry version {}", r.version));
        }
        for (i, p) in r.providers.iter().enumerate() {
            if p.name.is_empty() || p.name.contains(':') {
                problems.push(format!("provider {i}: name must be non-empty, without ':'"));
            }
            if r.providers[..i].iter().any(|q| q.name == p.name) {
                problems.push(format!("provider `{}` is listed twice", p.name));
            }
            for f in [&p.catalog, &p.overrides] {
                if f.contains(['/', '\\']) || !f.ends_with(".toml") {
                    problems.push(format!(
                        "provider `{}`: `{f}` must be a .toml file name in the catalogue folder",
                        p.name
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(r)
        } else {
            Err(problems.join("; "))
        }
    }

    /// The bundled registry.
    pub fn bundled() -> Result<Self, String> {
        Self::from_toml(REGISTRY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_registry_loads_and_lists_each_catalogue() {
        let r = Registry::bundled().unwrap();
        assert!(!r.providers.is_empty());
        let bundled: Vec<&str> = crate::catalog::BUNDLED.iter().map(|(f, _)| *f).collect();
        let listed: Vec<&str> = r.providers.iter().map(|p| p.catalog.as_str()).collect();
        assert_eq!(bundled, listed);
    }

    #[test]
    fn refuses_duplicates_and_paths() {
        let src = "source = { format = \"route-table\", routes = \"x.tsv\", name = \"{a}\" }";
        let one = |name: &str, catalog: &str| {
            format!(
                "[[provider]]\nname = \"{name}\"\ncatalog = \"{catalog}\"\noverrides = \"o.toml\"\n{src}\n"
            )
        };
        let ok = format!("version = 1\n{}", one("a", "a.toml"));
        assert!(Registry::from_toml(&ok).is_ok());
        let twice = format!("version = 1\n{}{}", one("a", "a.toml"), one("a", "b.toml"));
        assert!(Registry::from_toml(&twice).unwrap_err().contains("twice"));
        let path = format!("version = 1\n{}", one("a", "../a.toml"));
        assert!(Registry::from_toml(&path).is_err());
        let colon = format!("version = 1\n{}", one("a:b", "a.toml"));
        assert!(Registry::from_toml(&colon).is_err());
        let unknown = format!("version = 1\n{}extra = 1\n", one("a", "a.toml"));
        assert!(Registry::from_toml(&unknown).is_err());
    }
}
