//! `scopegate migrate` and `scopegate audit verify | export | tail`.

use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use scopegate_cli::config::Config;
use scopegate_cli::outln;
use scopegate_cli::output::{Out, closed};
use scopegate_store::{Filter, Store, verify};

mod narrow;
pub use narrow::Narrow;

pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?)
}

async fn store(config: &Path, database: Option<&str>) -> anyhow::Result<Store> {
    let url = match database {
        Some(u) => u.to_owned(),
        // The whole file is checked: a log read from a half-understood
        // settings file could be the wrong log. `--database` needs none.
        None => {
            let config = Config::load(config).map_err(|e| {
                    anyhow::anyhow!(
                        "{e:#}\n(to read the log without fixing the settings file, name it with --database URL)"
                    )
                })?;
            config.store.url
        }
    };
    if let Some(path) = url.strip_prefix("sqlite://")
        && let Some(dir) = Path::new(path).parent()
    {
        std::fs::create_dir_all(dir)?;
    }
    let store = Store::connect(&url).await?;
    // Say now, and precisely, if the database cannot be reached.
    store.ping().await?;
    Ok(store)
}

pub fn migrate(config: &Path, database: Option<&str>) -> anyhow::Result<i32> {
    runtime()?.block_on(async {
        let s = store(config, database).await?;
        let applied = s.migrate().await?;
        if applied.is_empty() {
            outln!("{}: up to date", s.backend())?;
        } else {
            outln!("{}: applied migrations {applied:?}", s.backend())?;
        }
        Ok(0)
    })
}

pub fn verify_cmd(config: &Path, database: Option<&str>) -> anyhow::Result<i32> {
    runtime()?.block_on(async {
        let s = store(config, database).await?;
        let (rows, head) = s.chain().await?;
        match verify(&rows, (head.0, &head.1)) {
            Ok(n) => {
                outln!(
                    "ok: {n} records, chain intact (head {})",
                    &head.1[..12.min(head.1.len())]
                )?;
                Ok(0)
            }
            Err(t) => {
                outln!("TAMPERED: {t}")?;
                Ok(1)
            }
        }
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

/// `narrow`: only the records of one approval's story (`held apr_…`,
/// `approved apr_… by …`, `granted apr_… …`, …), of a project or an
/// environment (see [`Narrow`]).
/// Every record the filter keeps, oldest first.
pub fn records(
    config: &Path,
    database: Option<&str>,
    filter: &Filter,
) -> anyhow::Result<Vec<scopegate_model::DecisionRecord>> {
    runtime()?.block_on(async {
        let s = store(config, database).await?;
        let (mut out, mut after) = (Vec::new(), 0);
        loop {
            let rows = s.rows(filter, after, 1000).await?;
            let Some(last) = rows.last() else {
                return Ok(out);
            };
            after = last.seq;
            out.extend(rows.into_iter().map(|r| r.record));
        }
    })
}

pub fn export(
    config: &Path,
    database: Option<&str>,
    filter: &Filter,
    narrow: &Narrow,
    format: Format,
    follow: bool,
) -> anyhow::Result<i32> {
    runtime()?.block_on(async {
        let s = store(config, database).await?;
        let mut out = Out::lock();
        if format == Format::Csv {
            writeln!(out, "seq,id,at_ms,agent,token,fingerprint_prefix,provider,host,method,path,operations,verdict,mode,forwarded,rule,reason,upstream_status,approval")?;
        }
        let mut after = 0;
        loop {
            let rows = s.rows(filter, after, 1000).await?;
            for r in &rows {
                after = r.seq;
                if !narrow.keeps(&r.record) {
                    continue;
                }
                match format {
                    Format::Jsonl => {
                        let mut v = serde_json::to_value(&r.record)?;
                        v["seq"] = r.seq.into();
                        v["hash"] = r.hash.clone().into();
                        writeln!(out, "{v}")?;
                    }
                    Format::Csv => {
                        let rec = &r.record;
                        let ops: Vec<String> = rec.operations.iter().map(ToString::to_string).collect();
                        let fields = [
                            r.seq.to_string(),
                            rec.id.to_string(),
                            rec.at_unix_ms.to_string(),
                            rec.agent.clone().unwrap_or_default(),
                            rec.token.clone().unwrap_or_default(),
                            rec.fingerprint_prefix.clone().unwrap_or_default(),
                            rec.provider.clone(),
                            rec.host.clone(),
                            rec.method.clone(),
                            rec.path.clone(),
                            ops.join("; "),
                            rec.verdict.to_string(),
                            rec.mode.as_str().to_owned(),
                            rec.forwarded.to_string(),
                            rec.rule.clone(),
                            rec.reason.clone(),
                            rec.upstream_status.map(|s| s.to_string()).unwrap_or_default(),
                            rec.approval.clone().unwrap_or_default(),
                        ];
                        let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                        writeln!(out, "{}", line.join(","))?;
                    }
                }
            }
            out.flush()?;
            if closed() {
                // the reader has gone (`| head`): nothing more to do
                return Ok(0);
            }
            if rows.len() < 1000 {
                if !follow {
                    return Ok(0);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    })
}

fn csv_field(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_owned()
    }
}
