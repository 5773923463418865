//! Escalations from arguments (overrides.toml `[[escalate]]`).

use super::ctx::Found;
use super::table::Table;

/// Raises `f`'s class (and notes why) when an argument matches a rule. An
/// operation with rules whose arguments were not read takes the strictest.
pub fn apply(table: &Table, f: &mut Found) {
    let rules = table.escalations(&f.op.name);
    let Some(params) = &f.params else {
        if let Some(worst) = rules.iter().max_by_key(|r| r.class)
            && worst.class >= f.op.class
        {
            f.op.class = worst.class;
            add_note(
                &mut f.op.note,
                &format!("arguments not read; assumed: {}", worst.note),
            );
        }
        return;
    };
    for r in rules {
        let (hit, why) = match &r.value {
            Some(value) => (
                params.iter().any(|(k, v)| {
                    k.eq_ignore_ascii_case(&r.param) && v.trim().eq_ignore_ascii_case(value)
                }),
                format!("{}={value}: {}", r.param, r.note),
            ),
            None => (
                f.members.contains(&r.param),
                format!("{}: {}", r.param, r.note),
            ),
        };
        if hit && r.class >= f.op.class {
            f.op.class = r.class;
            add_note(&mut f.op.note, &why);
        }
    }
}

fn add_note(note: &mut Option<String>, more: &str) {
    *note = Some(match note.take() {
        Some(n) => format!("{n}; {more}"),
        None => more.to_owned(),
    });
}
