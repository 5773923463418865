//! `scopegate suggest`: a draft scope map for one token from the decision
//! log (`scopegate_policy::suggest`), read from the database or from an
//! `audit export` file.

use std::path::Path;

use anyhow::Context as _;
use scopegate_cli::config::Config;
use scopegate_cli::out;
use scopegate_model::DecisionRecord;
use scopegate_policy::ScopeMap;
use scopegate_store::Filter;

/// Where the records and the token's identity come from.
pub struct Source<'a> {
    pub settings: &'a Path,
    pub database: Option<&'a str>,
    /// An `audit export` file (`-`: stdin) instead of the database.
    pub log: Option<&'a Path>,
    /// The scope map holding the token [default: the settings' scope map].
    pub scope_map: Option<&'a Path>,
}

impl Source<'_> {
    /// The scope map's path: `--scope-map`, else the settings' map.
    pub fn map_path(&self) -> anyhow::Result<std::path::PathBuf> {
        Ok(match self.scope_map {
            Some(p) => p.to_path_buf(),
            None => Config::load(self.settings)?.scope_map,
        })
    }

    /// The records of the last `days` days (of `token` only, when named).
    pub fn records(&self, token: Option<&str>, days: u32) -> anyhow::Result<Vec<DecisionRecord>> {
        let since = scopegate_store::approvals::now_ms() - i64::from(days) * 86_400_000;
        Ok(match self.log {
            Some(path) => {
                let text = crate::commands::read_input(path)?;
                scopegate_cli::policy_diff::records(&text)?
                    .into_iter()
                    .filter(|r| r.at_unix_ms >= since)
                    .filter(|r| token.is_none_or(|t| r.token.as_deref() == Some(t)))
                    .collect()
            }
            None => {
                let filter = Filter {
                    token: token.map(str::to_owned),
                    since_ms: Some(since),
                    ..Filter::default()
                };
                crate::audit::records(self.settings, self.database, &filter)?
            }
        })
    }
}

/// Prints the draft for `token` from the last `days` days of the log.
pub fn suggest(src: &Source<'_>, token: &str, days: u32, explain: bool) -> anyhow::Result<i32> {
    let records = src.records(Some(token), days)?;
    let map_path = src.map_path()?;
    let text = std::fs::read_to_string(&map_path)
        .with_context(|| format!("cannot read {}", map_path.display()))?;
    let map = ScopeMap::from_toml(&map_path.display().to_string(), &text)?;
    let identity = map.tokens.iter().find(|t| t.name == token).with_context(|| {
        format!(
            "token `{token}` is not in {}: the draft copies its fingerprint or surrogate from there (name the map with --scope-map)",
            map_path.display()
        )
    })?;
    out!(
        "{}",
        scopegate_policy::suggest::draft(identity, &records, explain)
    )?;
    Ok(0)
}
