//! Log lines a machine can parse. Text: `key=value`, with any value that
//! holds a space, a quote, `=` or a control character written as a quoted,
//! escaped string. JSON: one object per line, every field a JSON value, and
//! the decision line's `operations` a JSON array (the proxy records it as
//! JSON array text; see `scopegate_proxy::log_line`).

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::{FormatTime, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Fields whose value is JSON array text, shown as a list.
const LIST_FIELDS: [&str; 1] = ["operations"];

/// The value as it should appear after `key=` in a text line.
pub fn text_value(name: &str, raw: &str) -> String {
    let shown = match list(name, raw) {
        Some(items) => items.join("; "),
        None => raw.to_owned(),
    };
    let plain = !shown.is_empty()
        && !shown
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '='));
    if plain {
        shown
    } else {
        // Debug of a str: quoted, with quotes, backslashes and controls escaped.
        format!("{shown:?}")
    }
}

fn list(name: &str, raw: &str) -> Option<Vec<String>> {
    if !LIST_FIELDS.contains(&name) {
        return None;
    }
    serde_json::from_str::<Vec<String>>(raw).ok()
}

/// Field formatter for text lines.
pub struct TextFields;

impl<'w> FormatFields<'w> for TextFields {
    fn format_fields<R: tracing_subscriber::field::RecordFields>(
        &self,
        mut writer: Writer<'w>,
        fields: R,
    ) -> fmt::Result {
        let mut v = TextVisitor { out: String::new() };
        fields.record(&mut v);
        writer.write_str(&v.out)
    }
}

struct TextVisitor {
    out: String,
}

impl TextVisitor {
    fn push(&mut self, field: &Field, raw: &str) {
        if !self.out.is_empty() {
            self.out.push(' ');
        }
        if field.name() == "message" {
            self.out.push_str(raw);
        } else {
            self.out.push_str(field.name());
            self.out.push('=');
            self.out.push_str(&text_value(field.name(), raw));
        }
    }
}

impl Visit for TextVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.push(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        // `%` fields arrive as Display wrapped in Debug: their text as is.
        self.push(field, &format!("{value:?}"));
    }
}

/// One JSON object per event: timestamp, level, target, span names and
/// every field as a JSON value.
pub struct JsonLines;

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut timestamp = String::new();
        SystemTime.format_time(&mut Writer::new(&mut timestamp))?;
        let mut fields = JsonVisitor(Map::new());
        event.record(&mut fields);
        let mut obj = Map::new();
        obj.insert("timestamp".into(), Value::String(timestamp));
        let meta = event.metadata();
        obj.insert("level".into(), Value::String(meta.level().to_string()));
        obj.insert("target".into(), Value::String(meta.target().to_owned()));
        if let Some(scope) = ctx.event_scope() {
            let spans: Vec<Value> = scope
                .from_root()
                .map(|s| Value::String(s.name().to_owned()))
                .collect();
            obj.insert("spans".into(), Value::Array(spans));
        }
        obj.insert("fields".into(), Value::Object(fields.0));
        let line = serde_json::to_string(&Value::Object(obj)).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

struct JsonVisitor(Map<String, Value>);

impl Visit for JsonVisitor {
    fn record_str(&mut self, field: &Field, value: &str) {
        let v = match list(field.name(), value) {
            Some(items) => Value::Array(items.into_iter().map(Value::String).collect()),
            None => Value::String(value.to_owned()),
        };
        self.0.insert(field.name().to_owned(), v);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().to_owned(), Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().to_owned(), Value::Bool(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_values_with_spaces_quotes_or_equals_are_quoted() {
        assert_eq!(text_value("id", "dec_1"), "dec_1");
        assert_eq!(
            text_value("reason", "no rule matches"),
            "\"no rule matches\""
        );
        assert_eq!(text_value("note", "a \"b\"=c"), "\"a \\\"b\\\"=c\"");
        assert_eq!(text_value("x", ""), "\"\"");
        assert_eq!(
            text_value(
                "operations",
                r#"["railway:volumeDelete (destructive) volumeId=v","railway:me (read)"]"#
            ),
            "\"railway:volumeDelete (destructive) volumeId=v; railway:me (read)\""
        );
    }
}
