//! The `scopegate` binary: parses arguments, runs a subcommand, maps the
//! outcome to an exit code (check: 0 allow, 1 deny, 2 approve; 3 for usage
//! and configuration errors).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use scopegate_cli::check::EXIT_USAGE;
use scopegate_cli::outln;

mod approvals_cmd;
mod audit;
mod commands;
mod healthcheck;
mod run_cmd;
mod serve;
mod suggest_cmd;
mod token_issue;
mod tokens_cmd;

#[derive(Parser)]
#[command(
    name = "scopegate",
    version,
    about = "Least-privilege gate for AI agents' infrastructure API calls"
)]
struct Cli {
    /// Settings file [default: config/scopegate.toml]; also accepted after
    /// the subcommand (`scopegate approvals list -c FILE`).
    #[arg(long, short, env = "SCOPEGATE_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the proxy (HTTPS_PROXY listener, interception, enforcement).
    Serve {
        #[command(flatten)]
        settings: SettingsArg,
    },
    /// Run a command governed by scopegate: every ecosystem's proxy and CA
    /// variables set for it; with --isolate (Linux), no network but
    /// scopegate.
    ///
    /// Exit code: the command's (128 + signal when it was killed).
    Run {
        #[command(flatten)]
        settings: SettingsArg,
        /// scopegate's proxy, host:port [default: [proxy] listen from the
        /// settings file].
        #[arg(long, env = "SCOPEGATE_PROXY", value_name = "HOST:PORT")]
        proxy: Option<String>,
        /// scopegate's CA certificate [default: ca.pem in [ca] export].
        #[arg(long, value_name = "FILE")]
        ca: Option<PathBuf>,
        /// Present this agent to the proxy ([[proxy.auth.agents]]), with
        /// its key from SCOPEGATE_AGENT_KEY.
        #[arg(long, value_name = "NAME")]
        agent: Option<String>,
        /// Run the command in a network namespace whose only way out is
        /// scopegate (Linux; util-linux unshare and iproute2 ip).
        #[arg(long)]
        isolate: bool,
        /// The command and its arguments, after `--`.
        #[arg(last = true, required = true, value_name = "COMMAND")]
        command: Vec<std::ffi::OsString>,
    },
    /// Inside `run --isolate`'s namespace (not for direct use).
    #[command(name = "__isolated", hide = true)]
    Isolated {
        #[arg(long)]
        relay: PathBuf,
        #[arg(long)]
        uid: u32,
        #[arg(long)]
        gid: u32,
        #[arg(last = true, required = true)]
        command: Vec<std::ffi::OsString>,
    },
    /// Ask a running serve whether it is ready (admin /readyz; --live:
    /// /healthz), for container healthchecks.
    ///
    /// Exit code: 0 healthy, 1 not, 3 for usage and settings errors.
    Healthcheck {
        #[command(flatten)]
        settings: SettingsArg,
        /// The admin listener, host:port [default: [admin] listen from the
        /// settings file].
        #[arg(long, value_name = "HOST:PORT")]
        admin: Option<std::net::SocketAddr>,
        /// Liveness only (/healthz): the process answers.
        #[arg(long)]
        live: bool,
    },
    /// Show the interception CA and how to trust it (generates it if needed).
    Ca {
        #[command(flatten)]
        settings: SettingsArg,
    },
    /// Held requests: list them, approve or reject one (through the
    /// dashboard's JSON API, with SCOPEGATE_API_TOKEN).
    Approvals {
        #[command(flatten)]
        settings: SettingsArg,
        /// Dashboard URL; default: [dashboard] public_url, else
        /// [dashboard] listen, from the settings file.
        #[arg(long, global = true, env = "SCOPEGATE_DASHBOARD_URL")]
        url: Option<String>,
        #[command(subcommand)]
        command: ApprovalsCommand,
    },
    /// Dashboard tools.
    Dashboard {
        #[command(subcommand)]
        command: DashboardCommand,
    },
    /// Apply the decision-log migrations (serve also applies them at start).
    Migrate {
        #[command(flatten)]
        log: LogArgs,
    },
    /// The decision log: verify its chain, export it, follow it.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Read one HTTP request as operations and decide it offline.
    ///
    /// Exit code: 0 allow, 1 deny, 2 approve (held for a human), 3 error.
    Check {
        /// Scope-map file.
        #[arg(long, short)]
        config: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// HTTP/1.1 request message file, or `-` for stdin.
        request: PathBuf,
        /// Resolved attributes to decide with (environment, project, ...),
        /// as `[attributes."volumeId:vol-1"] environment = "production"`;
        /// nothing is looked up offline (docs/resource-context.md).
        #[arg(long, value_name = "FILE")]
        attributes: Option<PathBuf>,
    },
    /// Settings-file tools.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Draft a scope map for a token from what the decision log shows it
    /// did (run it in observe mode first): reads and writes seen allowed,
    /// destructive ones held, ids listed or resolved names used, the rest
    /// denied; each rule says the evidence it rests on.
    Suggest {
        #[command(flatten)]
        window: WindowArgs,
        /// The scope-map token to draft for.
        #[arg(long)]
        token: String,
        /// List, under each rule, the decision ids it covers.
        #[arg(long)]
        explain: bool,
    },
    /// Per token: what its scope map allows, what it used in the window,
    /// and what its provider says it is granted (GitHub's scope and
    /// permission headers, Railway's token kind, recorded from answers
    /// scopegate relayed); a token whose grant exceeds both is flagged
    /// over-scoped, with the narrower token to create instead.
    Tokens {
        #[command(flatten)]
        window: WindowArgs,
        /// Only this scope-map token.
        #[arg(long)]
        token: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Exit 1 when a token is over-scoped (for CI).
        #[arg(long)]
        check: bool,
    },
    /// Scope-map tools.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Token tools.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Provider catalogue tools.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
}

/// The settings file, shared by every command that reads it: given after
/// the subcommand (at any depth below it), else before it
/// (`scopegate -c FILE ...`), else `SCOPEGATE_CONFIG`, else
/// `config/scopegate.toml`.
#[derive(clap::Args)]
struct SettingsArg {
    /// Settings file [default: config/scopegate.toml].
    #[arg(long, short, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
}

impl SettingsArg {
    fn path(&self, before: Option<&Path>) -> PathBuf {
        self.config
            .as_deref()
            .or(before)
            .unwrap_or(Path::new("config/scopegate.toml"))
            .to_path_buf()
    }
}

#[derive(clap::Args)]
struct LogArgs {
    #[command(flatten)]
    settings: SettingsArg,
    /// Database URL (postgres://... or sqlite://path); default: from the config.
    #[arg(long, env = "SCOPEGATE_DATABASE_URL")]
    database: Option<String>,
}

/// Where `suggest` and `tokens` read decisions from, and over how long.
#[derive(clap::Args)]
struct WindowArgs {
    #[command(flatten)]
    log: LogArgs,
    /// Read decisions from this `scopegate audit export` file (`-`:
    /// stdin) instead of the database.
    #[arg(long)]
    from_log: Option<PathBuf>,
    /// The scope map holding the tokens [default: the settings' scope map].
    #[arg(long)]
    scope_map: Option<PathBuf>,
    /// The window: the last N days.
    #[arg(long, default_value_t = 30)]
    days: u32,
}

impl WindowArgs {
    fn source<'a>(&'a self, settings: &'a std::path::Path) -> suggest_cmd::Source<'a> {
        suggest_cmd::Source {
            settings,
            database: self.log.database.as_deref(),
            log: self.from_log.as_deref(),
            scope_map: self.scope_map.as_deref(),
        }
    }
}

#[derive(clap::Args)]
struct FilterArgs {
    /// Only decisions at or after this time (Unix milliseconds).
    #[arg(long)]
    since_ms: Option<i64>,
    /// Only decisions at or before this time (Unix milliseconds).
    #[arg(long)]
    until_ms: Option<i64>,
    #[arg(long)]
    token: Option<String>,
    #[arg(long)]
    agent: Option<String>,
    #[arg(long, value_enum)]
    verdict: Option<VerdictArg>,
    #[arg(long)]
    provider: Option<String>,
    /// Only the records of one approval's story (`apr_…`): held, decided,
    /// released, expired.
    #[arg(long)]
    approval: Option<String>,
    /// Only decisions whose operations were resolved to a project named
    /// like this (`*` and `?` match any characters).
    #[arg(long)]
    project: Option<String>,
    /// Only decisions whose operations were resolved to an environment
    /// named like this (`production`, `pr-*`).
    #[arg(long)]
    environment: Option<String>,
}

/// A verdict to filter on.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum VerdictArg {
    Allow,
    Approve,
    Deny,
}

impl VerdictArg {
    fn as_str(self) -> &'static str {
        match self {
            Self::Allow => "allow",
            Self::Approve => "approve",
            Self::Deny => "deny",
        }
    }
}

impl FilterArgs {
    fn filter(&self) -> scopegate_store::Filter {
        scopegate_store::Filter {
            since_ms: self.since_ms,
            until_ms: self.until_ms,
            token: self.token.clone(),
            agent: self.agent.clone(),
            verdict: self.verdict.map(|v| v.as_str().to_owned()),
            provider: self.provider.clone(),
        }
    }

    fn narrow(&self) -> audit::Narrow {
        audit::Narrow::new(
            self.approval.clone(),
            self.project.as_deref(),
            self.environment.as_deref(),
        )
    }
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; reports the first edited, deleted, inserted or
    /// reordered record. Exit 0 intact, 1 tampered.
    Verify {
        #[command(flatten)]
        log: LogArgs,
    },
    /// Export decisions as JSON lines or CSV.
    Export {
        #[command(flatten)]
        log: LogArgs,
        #[command(flatten)]
        filter: FilterArgs,
        #[arg(long, value_enum, default_value = "jsonl")]
        format: audit::Format,
    },
    /// Print decisions as they are recorded (JSON lines), following the log.
    Tail {
        #[command(flatten)]
        log: LogArgs,
        #[command(flatten)]
        filter: FilterArgs,
    },
}

#[derive(Subcommand)]
enum DashboardCommand {
    /// Print the argon2 hash of the password read from stdin, for
    /// `[[dashboard.users]] password_hash`.
    HashPassword,
    /// Issue an API token for `scopegate approvals` (give it to the user; put
    /// the fingerprint in their `api_token_fingerprint`).
    ApiToken,
}

#[derive(Subcommand)]
enum ApprovalsCommand {
    /// List approvals (pending by default).
    List {
        #[arg(long, default_value = "pending")]
        state: String,
        /// Only approvals for this operation (`railway:volumeDelete`, or a
        /// bare name for any provider).
        #[arg(long)]
        operation: Option<String>,
        /// Only approvals for this token (its name in the scope map).
        #[arg(long)]
        token: Option<String>,
        /// Only approvals touching this resource (`volumeId=vol-1`, or a
        /// value of any kind).
        #[arg(long)]
        resource: Option<String>,
    },
    /// Approve a held request: the identical request then passes once.
    Approve {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
        /// What a destructive request destroys, typed to confirm: the
        /// resource's name, or its id where it could not be resolved
        /// (`approvals list` shows it).
        #[arg(long)]
        confirm: Option<String>,
    },
    /// Reject a held request; the note reaches the agent.
    Reject {
        id: String,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Check a settings file, its [dashboard] table and the scope map it
    /// names; report every problem with its line. Touches no data, binds no
    /// port. Exit 0 good, 3 problems.
    Check {
        #[command(flatten)]
        settings: SettingsArg,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Run policy test files (requests with expected verdicts).
    Test { files: Vec<PathBuf> },
    /// Validate a scope-map file and report every problem.
    Validate { file: PathBuf },
    /// Which verdicts a change to a scope map changes, found by evaluating
    /// both on every catalogued operation their rules reach. Exit 0: none;
    /// 1: some narrow; 2: something widens (deny → approve → allow).
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// Also decide again the requests in this log (JSON lines from
        /// `scopegate audit export`; `-` reads stdin) and list those whose
        /// verdict changes.
        #[arg(long)]
        against_log: Option<PathBuf>,
        /// JSON for CI: {"widens": bool, "changes": [...], "log": {...}}.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print the fingerprint of the token read from stdin (trailing newline ignored).
    Fingerprint,
    /// Issue a surrogate: prints it (give it to the agent) and the scope-map
    /// lines that name it (`surrogate`, and for AWS `surrogate_secret`).
    Issue {
        /// `aws` issues an access key id and secret access key, which
        /// scopegate verifies and re-signs with the real key.
        #[arg(long, value_enum, default_value = "any")]
        provider: token_issue::Kind,
        /// AWS: also write the surrogate's secret to this new file (mode
        /// 0600), for `surrogate_secret = { file = ... }`.
        #[arg(long)]
        secret_file: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CatalogCommand {
    /// Regenerate every catalogue config/catalog/providers.toml lists, from
    /// ../shared/providers and the hand-made overrides.
    Generate {
        /// Folder with the providers' published descriptions.
        #[arg(long, default_value = "../shared/providers")]
        providers: PathBuf,
        /// The catalogue folder (reads providers.toml and the overrides files,
        /// writes the catalogues).
        #[arg(long, default_value = "config/catalog")]
        out: PathBuf,
    },
    /// Every operation of the bundled catalogues (or one provider's), with
    /// the classes it can take and the resources it can name; without a
    /// provider, first the providers with their hosts.
    List {
        /// Only this provider's operations.
        provider: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE as u8 } else { 0 });
        }
    };
    match run(cli) {
        Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
        Err(e) => {
            eprintln!("scopegate: error: {e:#}");
            ExitCode::from(EXIT_USAGE as u8)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<i32> {
    let before = cli.config.as_deref();
    match cli.command {
        Command::Serve { settings } => serve::run(&settings.path(before)),
        Command::Ca { settings } => serve::ca(&settings.path(before)),
        Command::Healthcheck {
            settings,
            admin,
            live,
        } => healthcheck::run(&settings.path(before), admin, live),
        Command::Run {
            settings,
            proxy,
            ca,
            agent,
            isolate,
            command,
        } => run_cmd::run(run_cmd::Args {
            settings: settings.path(before),
            proxy,
            ca,
            agent,
            isolate,
            command,
        }),
        Command::Isolated {
            relay,
            uid,
            gid,
            command,
        } => scopegate_cli::agent_run::isolated_main(relay, uid, gid, &command),
        Command::Dashboard { command } => match command {
            DashboardCommand::HashPassword => commands::hash_password(),
            DashboardCommand::ApiToken => commands::api_token(),
        },
        Command::Approvals {
            settings,
            url,
            command,
        } => approvals(&settings.path(before), url.as_deref(), command),
        Command::Migrate { log } => {
            audit::migrate(&log.settings.path(before), log.database.as_deref())
        }
        Command::Audit { command } => audit_cmd(before, command),
        Command::Check {
            config,
            json,
            request,
            attributes,
        } => commands::check(&config, json, &request, attributes.as_deref()),
        Command::Config {
            command: ConfigCommand::Check { settings },
        } => commands::config_check(&settings.path(before)),
        Command::Suggest {
            window,
            token,
            explain,
        } => {
            let settings = window.log.settings.path(before);
            let src = window.source(&settings);
            suggest_cmd::suggest(&src, &token, window.days, explain)
        }
        Command::Tokens {
            window,
            token,
            json,
            check,
        } => {
            let settings = window.log.settings.path(before);
            let src = window.source(&settings);
            let how = tokens_cmd::Output { json, check };
            tokens_cmd::tokens(&src, token.as_deref(), window.days, how)
        }
        Command::Policy { command } => match command {
            PolicyCommand::Validate { file } => commands::policy_validate(&file),
            PolicyCommand::Test { files } => commands::policy_test(&files),
            PolicyCommand::Diff {
                old,
                new,
                against_log,
                json,
            } => commands::policy_diff(&old, &new, against_log.as_deref(), json),
        },
        Command::Token { command } => match command {
            TokenCommand::Fingerprint => commands::token_fingerprint(),
            TokenCommand::Issue {
                provider,
                secret_file,
            } => token_issue::issue(provider, secret_file.as_deref()),
        },
        Command::Catalog { command } => match command {
            CatalogCommand::Generate { providers, out } => {
                generate(&providers, &out)?;
                Ok(0)
            }
            CatalogCommand::List { provider } => catalog_list(provider.as_deref()),
        },
    }
}

fn approvals(settings: &Path, url: Option<&str>, command: ApprovalsCommand) -> anyhow::Result<i32> {
    let base = approvals_cmd::base_url(settings, url)?;
    match command {
        ApprovalsCommand::List {
            state,
            operation,
            token,
            resource,
        } => approvals_cmd::list(
            &base,
            &state,
            &[
                ("operation", operation),
                ("token", token),
                ("resource", resource),
            ],
        ),
        ApprovalsCommand::Approve { id, note, confirm } => approvals_cmd::resolve(
            &base,
            &id,
            scopegate_model::Resolution::Approve,
            &note,
            confirm.as_deref(),
        ),
        ApprovalsCommand::Reject { id, note } => {
            approvals_cmd::resolve(&base, &id, scopegate_model::Resolution::Reject, &note, None)
        }
    }
}

fn audit_cmd(before: Option<&Path>, command: AuditCommand) -> anyhow::Result<i32> {
    match command {
        AuditCommand::Verify { log } => {
            audit::verify_cmd(&log.settings.path(before), log.database.as_deref())
        }
        AuditCommand::Export {
            log,
            filter,
            format,
        } => audit::export(
            &log.settings.path(before),
            log.database.as_deref(),
            &filter.filter(),
            &filter.narrow(),
            format,
            false,
        ),
        AuditCommand::Tail { log, filter } => audit::export(
            &log.settings.path(before),
            log.database.as_deref(),
            &filter.filter(),
            &filter.narrow(),
            audit::Format::Jsonl,
            true,
        ),
    }
}

/// `scopegate catalog list`: the providers, then `provider:name  classes
/// resources` per operation. An unknown provider is a usage error.
fn catalog_list(provider: Option<&str>) -> anyhow::Result<i32> {
    let set = scopegate_inspect::CatalogSet::bundled()?;
    if let Some(p) = provider
        && !set.providers().any(|c| c.provider == p)
    {
        let known: Vec<&str> = set.providers().map(|c| c.provider.as_str()).collect();
        anyhow::bail!("no provider `{p}` (known: {})", known.join(", "));
    }
    if provider.is_none() {
        for c in set.providers() {
            outln!("# {}: {}", c.provider, c.hosts.join(", "))?;
        }
    }
    for w in set.words() {
        if provider.is_some_and(|p| p != w.provider) {
            continue;
        }
        let classes: Vec<&str> = w.classes.iter().map(|c| c.as_str()).collect();
        outln!(
            "{}\t{}\t{}",
            w.qualified_name(),
            classes.join(","),
            w.resources.join(",")
        )?;
    }
    Ok(0)
}

/// Regenerates every catalogue the registry (`<out>/providers.toml`) lists,
/// each by its source format.
fn generate(providers: &Path, out: &Path) -> anyhow::Result<()> {
    let read = |p: PathBuf| {
        std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))
    };
    let registry = scopegate_inspect::catalog::registry::Registry::from_toml(&read(
        out.join("providers.toml"),
    )?)
    .map_err(anyhow::Error::msg)?;
    let mut made = Vec::new();
    for p in &registry.providers {
        let source = |f: &str| read(providers.join(f)).map_err(|e| format!("{e:#}"));
        let text = scopegate_inspect::catalog::generate::provider(
            p,
            source,
            &read(out.join(&p.overrides))?,
        )
        .map_err(|e| anyhow::anyhow!("{}: {e}", p.name))?;
        // Validate before writing: a catalogue that does not load is never written.
        let catalog = scopegate_inspect::Catalog::from_toml(&p.catalog, &text)?;
        anyhow::ensure!(
            catalog.provider == p.name,
            "{}: the overrides say provider `{}`, the registry `{}`",
            p.overrides,
            catalog.provider,
            p.name
        );
        made.push((&p.catalog, text));
    }
    for (name, text) in made {
        std::fs::write(out.join(name), text)?;
        outln!("wrote {}", out.join(name).display())?;
    }
    Ok(())
}
