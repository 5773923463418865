//! `scopegate tokens`: per token, what its scope map allows, what it used
//! in the window and what its provider grants (`scopegate_policy::breadth`,
//! docs/token-breadth.md), from the database or an `audit export` file.

use scopegate_cli::engine::Engine;
use scopegate_cli::out;
use scopegate_policy::breadth::report;

use crate::suggest_cmd::Source;

/// How to answer.
pub struct Output {
    /// JSON instead of text.
    pub json: bool,
    /// Exit 1 when a token is over-scoped.
    pub check: bool,
}

/// Prints the breadth of every token (or of `only`) over the last `days`;
/// with `check`, exits 1 when one is over-scoped.
pub fn tokens(src: &Source<'_>, only: Option<&str>, days: u32, how: Output) -> anyhow::Result<i32> {
    let map_path = src.map_path()?;
    let engine = Engine::load(&map_path)?;
    let map = &engine.scope_map;
    if let Some(name) = only
        && !map.tokens.iter().any(|t| t.name == name)
    {
        anyhow::bail!(
            "token `{name}` is not in {} (name the map with --scope-map)",
            map_path.display()
        );
    }
    let records = src.records(only, days)?;
    let words = engine.words();
    let reports: Vec<_> = map
        .tokens
        .iter()
        .filter(|t| only.is_none_or(|n| n == t.name))
        .map(|t| {
            report(
                map,
                t,
                &records,
                &words,
                scopegate_inspect::breadth::for_provider,
            )
        })
        .collect();
    if how.json {
        out!("{}\n", serde_json::to_string_pretty(&reports)?)?;
    } else {
        out!(
            "{}",
            scopegate_policy::breadth::text::to_text(&reports, days)
        )?;
    }
    let over = reports
        .iter()
        .flat_map(|r| &r.granted)
        .any(|g| g.over_scoped.is_some());
    Ok(i32::from(how.check && over))
}
