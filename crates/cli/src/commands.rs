//! The small subcommands: each reads its input, prints its answer and
//! returns the exit code.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use scopegate_cli::check::{EXIT_USAGE, check as check_request, exit_code, to_json, to_text};
use scopegate_cli::engine::Engine;
use scopegate_cli::policy_test;
use scopegate_cli::{out, outln};
use scopegate_model::Fingerprint;

/// One line of stdin, without its line ending.
fn stdin_line() -> anyhow::Result<String> {
    let mut s = String::new();
    std::io::stdin().read_to_string(&mut s)?;
    let line = s
        .strip_suffix('\n')
        .map(|t| t.strip_suffix('\r').unwrap_or(t))
        .unwrap_or(&s);
    Ok(line.to_owned())
}

/// 24 random bytes, hex.
fn random_hex() -> anyhow::Result<String> {
    let mut raw = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut raw))
        .context("cannot read /dev/urandom")?;
    Ok(scopegate_model::hex(&raw))
}

/// `dashboard hash-password`: the password on stdin, hashed.
pub fn hash_password() -> anyhow::Result<i32> {
    let pw = stdin_line()?;
    anyhow::ensure!(
        pw.len() >= 8,
        "a dashboard password needs at least 8 characters"
    );
    outln!("{}", scopegate_web::hash_password(&pw)?)?;
    Ok(0)
}

/// `dashboard api-token`: a fresh API token and its user entry.
pub fn api_token() -> anyhow::Result<i32> {
    let token = format!("sgapi_{}", random_hex()?);
    outln!("API token (give it to the approver, as SCOPEGATE_API_TOKEN): {token}")?;
    outln!(
        "user entry:  api_token_fingerprint = \"{}\"",
        scopegate_web::token_fingerprint(&token)
    )?;
    Ok(0)
}

/// `check`: one request (a file, or `-` for stdin) decided against a
/// scope map, offline. The scope map is loaded first: its errors come
/// before the request's.
pub fn check(
    scope_map: &Path,
    json: bool,
    request: &Path,
    attributes: Option<&Path>,
) -> anyhow::Result<i32> {
    let engine = Engine::load(scope_map)?;
    engine.warnings().iter().for_each(|w| eprintln!("{w}"));
    let fixtures = match attributes {
        Some(file) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            scopegate_cli::fixtures::parse(&text).with_context(|| format!("{}", file.display()))?
        }
        None => Default::default(),
    };
    let (inspection, decision) = check_request(&engine, &read_input(request)?, &fixtures)?;
    if json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&to_json(&inspection, &decision))?
        )?;
    } else {
        out!("{}", to_text(&inspection, &decision))?;
    }
    Ok(exit_code(decision.verdict))
}

/// `config check`: every problem in a settings file.
pub fn config_check(file: &Path) -> anyhow::Result<i32> {
    let report = scopegate_cli::config_check::check(file);
    report.warnings.iter().for_each(|w| eprintln!("{w}"));
    if report.problems.is_empty() {
        match report.warnings.len() {
            0 => outln!("{}: ok", file.display())?,
            n => outln!("{}: ok, {n} warning(s)", file.display())?,
        }
        return Ok(0);
    }
    report.problems.iter().for_each(|p| eprintln!("{p}"));
    eprintln!("{}: {} problem(s)", file.display(), report.problems.len());
    Ok(EXIT_USAGE)
}

/// `policy validate`: a scope map loads, with its warnings.
pub fn policy_validate(file: &Path) -> anyhow::Result<i32> {
    let engine = Engine::load(file)?;
    let warnings = engine.warnings();
    warnings.iter().for_each(|w| eprintln!("{w}"));
    match warnings.len() {
        0 => outln!("{}: ok", file.display())?,
        n => outln!("{}: ok, {n} warning(s)", file.display())?,
    }
    Ok(0)
}

/// `policy diff`: the verdicts that change, as text or JSON; the exit
/// status says whether anything widens.
pub fn policy_diff(
    old: &Path,
    new: &Path,
    against_log: Option<&Path>,
    json: bool,
) -> anyhow::Result<i32> {
    use scopegate_cli::policy_diff::{compare, exit_status, to_json, to_text};
    let log = against_log.map(read_input).transpose()?;
    let compared = compare(old, new, log.as_deref())?;
    if json {
        outln!("{}", to_json(&compared))?;
    } else {
        out!("{}", to_text(&compared))?;
    }
    Ok(exit_status(&compared))
}

/// `policy test`: every scenario in the files; 1 if any fails.
pub fn policy_test(files: &[PathBuf]) -> anyhow::Result<i32> {
    anyhow::ensure!(!files.is_empty(), "give at least one policy test file");
    let (mut passed, mut failed) = (0, 0);
    for f in files {
        for r in policy_test::run(f)? {
            match r.failure {
                None => {
                    passed += 1;
                    outln!("ok    {}: {}", f.display(), r.name)?;
                }
                Some(why) => {
                    failed += 1;
                    outln!("FAIL  {}: {}\n      {why}", f.display(), r.name)?;
                }
            }
        }
    }
    outln!("{passed} passed, {failed} failed")?;
    Ok(i32::from(failed > 0))
}

/// `token fingerprint`: the token on stdin, fingerprinted.
pub fn token_fingerprint() -> anyhow::Result<i32> {
    let token = stdin_line()?;
    anyhow::ensure!(!token.is_empty(), "no token on stdin");
    outln!("{}", Fingerprint::of(token.as_bytes()))?;
    Ok(0)
}

pub fn read_input(p: &Path) -> anyhow::Result<Vec<u8>> {
    if p.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b)?;
        return Ok(b);
    }
    std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))
}
