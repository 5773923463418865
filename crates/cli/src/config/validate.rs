//! The checks the sections share: a problem at a key, a choice among
//! names, an address, a duration of at least a second, a range.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::problems::{Doc, Problem};

/// Collects every problem while the sections are built; relative paths
/// start at the settings file's folder.
pub struct Validate<'d, 't> {
    pub doc: &'d Doc<'t>,
    pub problems: Vec<Problem>,
    /// The settings file's folder.
    pub base: PathBuf,
}

impl Validate<'_, '_> {
    /// `p` relative to the settings file.
    pub fn rel(&self, p: &str) -> PathBuf {
        self.base.join(p)
    }

    pub fn bad(&mut self, path: &[&str], message: impl Into<String>, help: Option<&str>) {
        let p = self.doc.at(path, message, help);
        self.problems.push(p);
    }

    pub fn choice<T: Copy>(&mut self, path: &[&str], value: &str, options: &[(&str, T)]) -> T {
        if let Some((_, t)) = options.iter().find(|(name, _)| *name == value) {
            return *t;
        }
        let names: Vec<String> = options.iter().map(|(n, _)| format!("\"{n}\"")).collect();
        self.bad(
            path,
            format!("{} = \"{value}\" is not a choice", path.join(".")),
            Some(&format!("use {}", names.join(" or "))),
        );
        options[0].1
    }

    pub fn addr(&mut self, path: &[&str], s: &str) -> SocketAddr {
        s.parse().unwrap_or_else(|_| {
            self.bad(
                path,
                format!("{}: `{s}` is not ip:port", path.join(".")),
                Some("an IP address and a port, e.g. \"127.0.0.1:8080\" or \"[::1]:8080\""),
            );
            SocketAddr::from(([127, 0, 0, 1], 0))
        })
    }

    /// Seconds that must be at least 1.
    pub fn secs(&mut self, path: &[&str], n: u64) -> Duration {
        if n == 0 {
            self.bad(
                path,
                format!("{} must be at least 1", path.join(".")),
                Some("a number of seconds, 1 or more"),
            );
        }
        Duration::from_secs(n.max(1))
    }

    pub fn within(&mut self, path: &[&str], n: i64, range: std::ops::RangeInclusive<i64>) -> i64 {
        if !range.contains(&n) {
            self.bad(
                path,
                format!("{} = {n} is out of range", path.join(".")),
                Some(&format!("{} to {}", range.start(), range.end())),
            );
        }
        n.clamp(*range.start(), *range.end())
    }
}

/// Whether one folder is, or is inside, the other (lexically, `..` and `.`
/// resolved; both made absolute against the working directory).
pub fn overlaps(a: &Path, b: &Path) -> bool {
    let (a, b) = (normal(a), normal(b));
    a.starts_with(&b) || b.starts_with(&a)
}

fn normal(p: &Path) -> PathBuf {
    use std::path::Component;
    let abs = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
