//! The hash chain over decision records, and its verification.

use sha2::{Digest, Sha256};

/// The hash before the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// `sha256(prev_hash || "\n" || record_json)`, hex.
pub fn link(prev_hash: &str, record_json: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    h.update(record_json.as_bytes());
    scopegate_model::hex(&h.finalize())
}

/// One stored row as verification sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRow {
    pub seq: i64,
    pub id: String,
    /// The indexed verdict column, which must agree with the record.
    pub verdict: String,
    pub record: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The first tampering found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Tamper {
    #[error("record {seq} was edited: its content no longer matches its hash")]
    Edited { seq: i64 },
    #[error("record {seq} is missing (deleted)")]
    Deleted { seq: i64 },
    #[error("record {seq} was inserted: it does not follow record {prev}")]
    Inserted { seq: i64, prev: i64 },
    #[error("records were reordered at {seq}")]
    Reordered { seq: i64 },
    #[error(
        "the chain head says {head_seq} records, the log ends at {last_seq}: records were deleted from the end"
    )]
    Truncated { head_seq: i64, last_seq: i64 },
}

/// Verifies rows (in `seq` order) against the chain head. Returns how many
/// records were verified.
pub fn verify(rows: &[ChainRow], head: (i64, &str)) -> Result<u64, Tamper> {
    let mut prev = GENESIS.to_owned();
    let mut expected = 1;
    for (i, row) in rows.iter().enumerate() {
        if row.hash != link(&row.prev_hash, &row.record) || !columns_agree(row) {
            return Err(Tamper::Edited { seq: row.seq });
        }
        if row.prev_hash != prev {
            if rows[i + 1..]
                .iter()
                .any(|later| later.hash == row.prev_hash)
            {
                return Err(Tamper::Reordered { seq: row.seq });
            }
            if rows.get(i + 1).is_some_and(|next| next.prev_hash == prev) {
                return Err(Tamper::Inserted {
                    seq: row.seq,
                    prev: expected - 1,
                });
            }
            return Err(Tamper::Deleted { seq: expected });
        }
        if row.seq != expected {
            return Err(if row.seq > expected {
                Tamper::Deleted { seq: expected }
            } else {
                Tamper::Inserted {
                    seq: row.seq,
                    prev: expected - 1,
                }
            });
        }
        prev.clone_from(&row.hash);
        expected += 1;
    }
    let last_seq = expected - 1;
    if head.0 != last_seq || (last_seq > 0 && head.1 != prev) {
        if head.0 > last_seq {
            return Err(Tamper::Truncated {
                head_seq: head.0,
                last_seq,
            });
        }
        return Err(Tamper::Inserted {
            seq: last_seq,
            prev: head.0,
        });
    }
    Ok(u64::try_from(last_seq).unwrap_or(0))
}

/// The indexed columns a reader filters on must say what the record says.
fn columns_agree(row: &ChainRow) -> bool {
    match serde_json::from_str::<serde_json::Value>(&row.record) {
        Ok(v) => v["id"] == row.id.as_str() && v["verdict"] == row.verdict.as_str(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<ChainRow> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let record = format!(r#"{{"id":"d{seq}","verdict":"allow","n":{seq}}}"#);
                let hash = link(&prev, &record);
                let row = ChainRow {
                    seq,
                    id: format!("d{seq}"),
                    verdict: "allow".into(),
                    record,
                    prev_hash: prev.clone(),
                    hash: hash.clone(),
                };
                prev = hash;
                row
            })
            .collect()
    }

    fn head(rows: &[ChainRow]) -> (i64, String) {
        rows.last()
            .map_or((0, GENESIS.to_owned()), |r| (r.seq, r.hash.clone()))
    }

    #[test]
    fn an_intact_chain_verifies() {
        let rows = chain(5);
        let (s, h) = head(&rows);
        assert_eq!(verify(&rows, (s, &h)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS)), Ok(0));
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let rows = chain(5);
        let (s, h) = head(&rows);

        let mut edited = rows.clone();
        edited[2].record = edited[2].record.replace("allow", "deny");
        assert_eq!(verify(&edited, (s, &h)), Err(Tamper::Edited { seq: 3 }));

        let mut column = rows.clone();
        column[1].verdict = "deny".into();
        assert_eq!(verify(&column, (s, &h)), Err(Tamper::Edited { seq: 2 }));

        let mut deleted = rows.clone();
        deleted.remove(2);
        assert_eq!(verify(&deleted, (s, &h)), Err(Tamper::Deleted { seq: 3 }));

        let mut renumbered = rows.clone();
        renumbered.remove(2);
        for r in renumbered.iter_mut().skip(2) {
            r.seq -= 1;
        }
        assert_eq!(
            verify(&renumbered, (s - 1, &h)),
            Err(Tamper::Deleted { seq: 3 })
        );

        let mut inserted = rows.clone();
        let forged_record = r#"{"id":"forged","verdict":"allow"}"#.to_owned();
        let forged = ChainRow {
            seq: 3,
            id: "forged".into(),
            verdict: "allow".into(),
            hash: link("x", &forged_record),
            record: forged_record,
            prev_hash: "x".into(),
        };
        inserted.insert(2, forged);
        for r in inserted.iter_mut().skip(3) {
            r.seq += 1;
        }
        assert_eq!(
            verify(&inserted, (s + 1, &h)),
            Err(Tamper::Inserted { seq: 3, prev: 2 })
        );

        let mut reordered = rows.clone();
        reordered.swap(1, 2);
        reordered[1].seq = 2;
        reordered[2].seq = 3;
        assert_eq!(
            verify(&reordered, (s, &h)),
            Err(Tamper::Reordered { seq: 2 })
        );

        let truncated = &rows[..4];
        assert_eq!(
            verify(truncated, (s, &h)),
            Err(Tamper::Truncated {
                head_seq: 5,
                last_seq: 4
            })
        );
    }
}
