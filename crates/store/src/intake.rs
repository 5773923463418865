//! Which entries the decision-log writer keeps in memory, and which it
//! leaves in the journal file to read back later. Pure: no IO.
//!
//! Every entry is in the journal before it reaches the writer, so the
//! writer's memory is only a cache of the journal's tail. While the
//! database is down that cache would grow without bound; past `cap` queued
//! entries the writer *spills*: it stops keeping entries from `pos` on and
//! reads them back from the journal, in journal order, as room frees up.
//!
//! Entries reach the writer in nearly, not exactly, journal order (two
//! request threads can append in one order and send in the other), so:
//! - while spilling, an entry from before the spill point is still kept (it
//!   will not be read back);
//! - once a read reaches the end of the journal the spill ends, and the
//!   range it read back is remembered (every one, a few bytes per outage),
//!   so a late arrival from it is left rather than taken twice;
//! - a spill starts only past every range read back and every entry kept
//!   (a read from an earlier position would take those again).
//!
//! So each entry is taken exactly once: an entry is left only when a read
//! of the journal covers it, and kept only when none does. That matters
//! beyond the database's own guards (a unique decision id, outcomes
//! inserted once): the journal deletes its files once the writer's count
//! of committed entries reaches what it holds, so the count must be exact.

use crate::journal::Position;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Take {
    /// Queue it in memory.
    Keep,
    /// A read from the journal covers it.
    Leave,
}

#[derive(Debug)]
pub struct Intake {
    cap: usize,
    /// Spilling from here: entries at or after it are read back.
    spill: Option<Position>,
    /// Where the next read from the journal starts, while spilling.
    cursor: Position,
    /// What each finished spill read back, in journal order.
    read_back: Vec<(Position, Position)>,
    /// The furthest entry kept in memory so far.
    kept_max: Option<Position>,
}

impl Intake {
    pub fn new(cap: usize) -> Self {
        Self {
            cap: cap.max(1),
            spill: None,
            cursor: Position::default(),
            read_back: Vec::new(),
            kept_max: None,
        }
    }

    /// Starts spilling at `from`: entries left by an earlier run beyond
    /// what fits in memory, and everything appended after them.
    pub fn spill_from(&mut self, from: Position) {
        self.spill = Some(from);
        self.cursor = from;
    }

    pub fn cap(&self) -> usize {
        self.cap
    }

    /// An entry at `pos` arrived with `queued` entries already in memory.
    pub fn offer(&mut self, pos: Position, queued: usize) -> Take {
        let past = self.read_back.last().is_none_or(|&(_, to)| pos >= to);
        if !past
            && self
                .read_back
                .iter()
                .any(|&(from, to)| from <= pos && pos < to)
        {
            return Take::Leave;
        }
        let take = match self.spill {
            Some(from) if pos >= from => Take::Leave,
            Some(_) => Take::Keep,
            None => {
                // A spill starts only past what was read back or kept: a
                // read from an earlier position would take those again.
                let after_kept = self.kept_max.is_none_or(|k| pos > k);
                if queued >= self.cap && past && after_kept {
                    self.spill = Some(pos);
                    self.cursor = pos;
                    Take::Leave
                } else {
                    Take::Keep
                }
            }
        };
        if take == Take::Keep {
            self.kept_max = self.kept_max.max(Some(pos));
        }
        take
    }

    /// Where to read the journal from next, while spilling.
    pub fn reading(&self) -> Option<Position> {
        self.spill.map(|_| self.cursor)
    }

    /// A read ended at `next`; `at_end` when it reached the end of what
    /// the journal holds, which ends the spill.
    pub fn read(&mut self, next: Position, at_end: bool) {
        self.cursor = next;
        if at_end && let Some(from) = self.spill.take() {
            self.read_back.push((from, next));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(offset: u64) -> Position {
        Position { segment: 1, offset }
    }

    #[test]
    fn keeps_until_the_cap_then_leaves_from_there_on() {
        let mut i = Intake::new(3);
        assert_eq!(i.offer(at(0), 0), Take::Keep);
        assert_eq!(i.offer(at(10), 2), Take::Keep);
        assert_eq!(i.reading(), None);
        assert_eq!(i.offer(at(20), 3), Take::Leave, "the cap is reached");
        assert_eq!(i.reading(), Some(at(20)));
        assert_eq!(i.offer(at(30), 0), Take::Leave, "spilling, room or not");
        assert_eq!(
            i.offer(at(15), 3),
            Take::Keep,
            "a late arrival from before the spill"
        );
    }

    #[test]
    fn a_spill_never_starts_before_an_entry_already_kept() {
        let mut i = Intake::new(2);
        assert_eq!(i.offer(at(0), 0), Take::Keep);
        // Sent before the entry written ahead of it.
        assert_eq!(i.offer(at(20), 1), Take::Keep);
        // At the cap, but a read from 10 would take 20 again.
        assert_eq!(i.offer(at(10), 2), Take::Keep);
        assert_eq!(i.reading(), None);
        assert_eq!(i.offer(at(30), 3), Take::Leave);
        assert_eq!(i.reading(), Some(at(30)));
    }

    #[test]
    fn a_spill_ends_at_the_end_of_the_journal_and_late_arrivals_are_not_taken_twice() {
        let mut i = Intake::new(1);
        assert_eq!(i.offer(at(0), 1), Take::Leave);
        i.read(at(30), false);
        assert_eq!(i.reading(), Some(at(30)), "more to read");
        i.read(at(50), true);
        assert_eq!(i.reading(), None, "caught up");
        assert_eq!(i.offer(at(40), 0), Take::Leave, "already read back");
        assert_eq!(i.offer(at(50), 0), Take::Keep, "written after the read");
        // Full again: a late arrival from the read-back range starts nothing.
        assert_eq!(i.offer(at(10), 5), Take::Leave);
        assert_eq!(i.reading(), None);
        // Nor does one from before it: it is kept, over the cap.
        let mut j = Intake::new(1);
        assert_eq!(j.offer(at(20), 1), Take::Leave);
        j.read(at(40), true);
        assert_eq!(j.offer(at(5), 9), Take::Keep);
        assert_eq!(j.reading(), None);
        assert_eq!(j.offer(at(60), 9), Take::Leave, "past the read-back range");
        assert_eq!(j.reading(), Some(at(60)));
        j.read(at(80), true);
        // Both ranges are remembered; what falls between them is kept.
        assert_eq!(j.offer(at(30), 0), Take::Leave);
        assert_eq!(j.offer(at(70), 0), Take::Leave);
        assert_eq!(j.offer(at(50), 0), Take::Keep);
        assert_eq!(j.offer(at(80), 0), Take::Keep);
    }
}
