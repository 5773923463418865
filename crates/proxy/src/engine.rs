//! Catalogues and a scope map, loaded from files: everything deciding needs.
//! Reloading builds a new `Engine` and swaps it in whole.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use anyhow::Context as _;
use scopegate_inspect::{Catalog, CatalogSet, Inspection, Inspector, Limits, RequestView};
use scopegate_model::{Decision, OperationWord};
use scopegate_policy::{ScopeMap, Vocabulary, evaluate};

pub struct Engine {
    pub inspector: Inspector,
    pub scope_map: ScopeMap,
    /// Every file this engine was built from, for change detection.
    pub sources: Vec<PathBuf>,
    /// Every catalogued operation, listed the first time it is asked for.
    words: OnceLock<Arc<[OperationWord]>>,
}

impl Engine {
    /// Loads a scope-map file and the catalogues it names (relative to it)
    /// on top of the bundled ones.
    pub fn load(scope_map: &Path) -> anyhow::Result<Self> {
        Self::load_with(scope_map, Limits::default())
    }

    pub fn load_with(scope_map: &Path, limits: Limits) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(scope_map)
            .with_context(|| format!("cannot read {}", scope_map.display()))?;
        let file = scope_map.display().to_string();
        // Parsed once for the catalogues it names, then checked against them.
        let unchecked = ScopeMap::from_toml(&file, &text)?;
        let mut catalogs = CatalogSet::bundled().context("bundled catalogues")?;
        let base = scope_map
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let mut sources = vec![scope_map.to_path_buf()];
        for c in &unchecked.catalogs {
            let path: PathBuf = base.join(c);
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read catalogue {}", path.display()))?;
            catalogs.add(Catalog::from_toml(&path.display().to_string(), &text)?)?;
            sources.push(path);
        }
        let map = ScopeMap::from_toml_checked(&file, &text, &Vocabulary::new(catalogs.words()))?;
        Ok(Self {
            inspector: Inspector::new(catalogs, limits),
            scope_map: map,
            sources,
            words: OnceLock::new(),
        })
    }

    /// Every catalogued operation of this engine's catalogues (for `policy
    /// diff`, `tokens` and the dashboard's Tokens page), listed once.
    pub fn words(&self) -> Arc<[OperationWord]> {
        self.words
            .get_or_init(|| self.inspector.catalogs().words().into())
            .clone()
    }

    pub fn inspect_and_decide(&self, req: &RequestView<'_>) -> (Inspection, Decision) {
        let inspection = self.inspector.inspect(req);
        let decision = evaluate(
            &self.scope_map,
            &inspection.credential,
            &inspection.operations,
        );
        (inspection, decision)
    }

    /// The scope map's warnings, one line each (`file:line:col: warning: …`).
    pub fn warnings(&self) -> Vec<String> {
        let file = self
            .sources
            .first()
            .map_or_else(String::new, |p| p.display().to_string());
        self.scope_map.warning_lines(&file)
    }

    /// Modification times of the source files (missing files read as None).
    pub fn source_stamps(&self) -> Vec<Option<SystemTime>> {
        self.sources
            .iter()
            .map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
            .collect()
    }
}
