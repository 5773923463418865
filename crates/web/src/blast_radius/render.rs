//! A sentence as plain text (terminal), HTML (dashboard) and Slack mrkdwn
//! (webhook). Every span is escaped for its form.

use super::{Sentence, Span};
use crate::html::esc;

impl Sentence {
    /// Plain text; code keeps its backticks.
    pub fn plain(&self) -> String {
        self.spans
            .iter()
            .map(|s| match s {
                Span::Text(t) | Span::Strong(t) => t.clone(),
                Span::Code(t) => format!("`{t}`"),
            })
            .collect()
    }

    /// HTML: names in `<strong>`, code in `<code>`, all escaped.
    pub fn html(&self) -> String {
        self.spans
            .iter()
            .map(|s| match s {
                Span::Text(t) => esc(t),
                Span::Strong(t) => format!("<strong>{}</strong>", esc(t)),
                Span::Code(t) => format!("<code>{}</code>", esc(t)),
            })
            .collect()
    }

    /// Slack mrkdwn: `*name*`, `` `code` ``; `&`, `<`, `>` escaped so that
    /// a resource name cannot mention `<!channel>` or forge a link; a name
    /// loses only the marker that would end its own formatting.
    pub fn mrkdwn(&self) -> String {
        let slack = |t: &str| {
            t.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        self.spans
            .iter()
            .map(|s| match s {
                Span::Text(t) => slack(t),
                Span::Strong(t) => format!("*{}*", slack(&t.replace('*', ""))),
                Span::Code(t) => format!("`{}`", slack(&t.replace('`', ""))),
            })
            .collect()
    }
}

/// The sentences as the dashboard shows them, one paragraph each, classed
/// by kind (`blast-effect`, `blast-unresolved`, `blast-safer`); empty when
/// there are none.
pub fn html_block(sentences: &[Sentence]) -> String {
    if sentences.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"blast\" data-blast>");
    for s in sentences {
        out.push_str(&format!(
            "<p class=\"blast-{}\">{}</p>",
            s.kind.as_str(),
            s.html()
        ));
    }
    out.push_str("</div>");
    out
}
