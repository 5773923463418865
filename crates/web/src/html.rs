//! HTML building blocks. Every value that is not a literal of this crate
//! goes through [`esc`] (text and double-quoted attributes alike) or
//! [`url_segment`]/[`query_value`] (inside URLs, then `esc`). The page
//! shell carries no inline script or style: the CSP forbids both.

use std::fmt::Write as _;

use scopegate_model::{civil_from_days, days_from_civil};

use crate::auth::Principal;

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '`' => out.push_str("&#96;"),
            // Control characters other than tab/newline render as nothing
            // useful and can confuse readers: show them as replacement.
            c if c.is_control() && c != '\n' && c != '\t' && c != '\r' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes everything but unreserved characters, for a path
/// segment or a query value.
pub fn url_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

pub use url_segment as query_value;

/// Milliseconds since the epoch as `2026-05-01 12:03:07 UTC`.
pub fn time(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// `YYYY-MM-DDTHH:MM[:SS]` (as a `datetime-local` input sends it, read as
/// UTC) or a date alone → milliseconds since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('Z');
    if s.is_empty() {
        return None;
    }
    let (date, clock) = s.split_once(['T', ' ']).unwrap_or((s, "00:00"));
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let mut c = clock.split(':').map(|p| p.parse::<i64>().ok());
    let (h, min) = (c.next()??, c.next()??);
    let sec = c.next().flatten().unwrap_or(0);
    if !(0..24).contains(&h) || !(0..60).contains(&min) || !(0..61).contains(&sec) {
        return None;
    }
    Some((days_from_civil(y, m, day) * 86_400 + h * 3600 + min * 60 + sec) * 1000)
}

/// For a `datetime-local` input's value.
pub fn time_input(ms: i64) -> String {
    let t = time(ms);
    // "YYYY-MM-DD HH:MM:SS UTC" → "YYYY-MM-DDTHH:MM"
    format!("{}T{}", &t[..10], &t[11..16])
}

/// "in 14 minutes", "3 minutes ago".
pub fn relative(ms: i64, now_ms: i64) -> String {
    let d = (ms - now_ms) / 1000;
    let a = d.unsigned_abs();
    let amount = match a {
        0..=59 => format!("{a} s"),
        60..=7199 => format!("{} min", a / 60),
        7200..=172_799 => format!("{} h", a / 3600),
        _ => format!("{} days", a / 86_400),
    };
    if d >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// Which navigation entry is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Queue,
    Approvals,
    History,
    Tokens,
    Health,
    None,
}

/// The page shell: head with the CSRF meta tag, navigation, the signed-in
/// user and a sign-out form. `body` is already-escaped HTML.
pub fn page(title: &str, nav: Nav, who: Option<&Principal>, body: &str) -> String {
    let mut nav_html = String::new();
    if who.is_some() {
        for (n, href, label) in [
            (Nav::Queue, "/", "Pending"),
            (Nav::Approvals, "/approvals", "Approvals"),
            (Nav::History, "/history", "Decision log"),
            (Nav::Tokens, "/tokens", "Tokens"),
            (Nav::Health, "/health", "Health"),
        ] {
            let cur = if n == nav {
                " aria-current=\"page\""
            } else {
                ""
            };
            let _ = write!(nav_html, "<a href=\"{href}\"{cur}>{label}</a>");
        }
    }
    let (csrf, user_html) = match who {
        Some(p) => (
            p.csrf().to_owned(),
            format!(
                "<form method=\"post\" action=\"/logout\" class=\"signout\"><span class=\"who\">{} <span class=\"role\">{}</span></span>{}<button type=\"submit\" class=\"link\">Sign out</button></form>",
                esc(&p.user),
                p.role.as_str(),
                csrf_field(p.csrf()),
            ),
        ),
        None => (String::new(), String::new()),
    };
    let bootstrap_banner = match who {
        Some(p) if p.user == crate::auth::BOOTSTRAP_USER => {
            "<div class=\"banner warn\">Signed in with the one-time bootstrap link. Add users to the <code>[dashboard]</code> settings (<code>scopegate dashboard hash-password</code> makes a password hash) and restart; this session ends then.</div>"
        }
        _ => "",
    };
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<meta name=\"csrf-token\" content=\"{csrf}\"><title>{title} · scopegate</title>\
<link rel=\"icon\" href=\"/static/favicon.svg\" type=\"image/svg+xml\"><link rel=\"stylesheet\" href=\"/static/app.css\"><script src=\"/static/app.js\" defer></script></head>\
<body><header class=\"top\"><a class=\"brand\" href=\"/\">scopegate</a><nav>{nav_html}</nav>{user_html}</header>\
{bootstrap_banner}<main>{body}</main></body></html>",
        csrf = esc(&csrf),
        title = esc(title),
    )
}

/// A hidden CSRF form field.
pub fn csrf_field(token: &str) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        esc(token)
    )
}

/// A state as a coloured badge.
pub fn state_badge(state: &str) -> String {
    let class = match state {
        "pending" => "pending",
        "approved" | "used" | "allow" => "ok",
        "rejected" | "deny" => "bad",
        "approve" => "pending",
        _ => "muted",
    };
    format!("<span class=\"badge {class}\">{}</span>", esc(state))
}

pub fn class_badge(class: &str) -> String {
    let c = match class {
        "destructive" => "bad",
        "unknown" => "warn",
        "write" => "pending",
        _ => "muted",
    };
    format!("<span class=\"badge {c}\">{}</span>", esc(class))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            esc("\"><img src=x onerror='a'>&`"),
            "&quot;&gt;&lt;img src=x onerror=&#39;a&#39;&gt;&amp;&#96;"
        );
        assert_eq!(esc("a\u{0}b\nc"), "a\u{fffd}b\nc");
        assert_eq!(url_segment("apr 1/../x?y"), "apr%201%2F..%2Fx%3Fy");
    }

    #[test]
    fn times_round_trip() {
        assert_eq!(time(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(time(1_767_225_600_000), "2026-01-01 00:00:00 UTC");
        assert_eq!(parse_time("2026-01-01T00:00"), Some(1_767_225_600_000));
        assert_eq!(parse_time("2026-01-01"), Some(1_767_225_600_000));
        assert_eq!(parse_time("2024-02-29T23:59:59"), Some(1_709_251_199_000));
        assert_eq!(time_input(1_709_251_199_000), "2024-02-29T23:59");
        assert_eq!(parse_time("2026-13-01"), None);
        assert_eq!(parse_time("nope"), None);
        assert_eq!(relative(60_000, 0), "in 1 min");
        assert_eq!(relative(0, 5_000), "5 s ago");
    }
}
