//! Whether a signature is current, against a clock the caller reads: AWS
//! accepts a header-signed request within 15 minutes of its `X-Amz-Date`,
//! and a presigned one until `X-Amz-Date + X-Amz-Expires` (at most 7 days).

use super::{Kind, Presented, SigError};

/// How far a header-signed request's date may be from the clock.
pub const SKEW_SECONDS: i64 = 15 * 60;
/// The longest `X-Amz-Expires` AWS accepts.
pub const MAX_EXPIRES: u64 = 7 * 24 * 3600;

/// `Ok` when `p` is current at `now` (seconds since 1970).
pub fn current(p: &Presented, now: i64) -> Result<(), SigError> {
    let at = unix_seconds(&p.datetime).ok_or(SigError::Malformed("X-Amz-Date"))?;
    match p.kind {
        Kind::Header if (now - at).abs() > SKEW_SECONDS => Err(SigError::Stale),
        Kind::Header => Ok(()),
        Kind::Presigned => {
            let expires = p.expires.ok_or(SigError::Malformed("X-Amz-Expires"))?;
            if expires > MAX_EXPIRES {
                return Err(SigError::Malformed("X-Amz-Expires over 7 days"));
            }
            let expires = i64::try_from(expires).unwrap_or(i64::MAX);
            if at - now > SKEW_SECONDS || now > at.saturating_add(expires) {
                return Err(SigError::Stale);
            }
            Ok(())
        }
    }
}

/// Seconds since 1970 of `yyyymmddThhmmssZ` (also accepted: the extended
/// `yyyy-mm-ddThh:mm:ss[.fff](Z|+00:00)` that credential files use).
pub fn unix_seconds(s: &str) -> Option<i64> {
    let basic: String = match s.len() {
        16 => s.to_owned(),
        _ => extended(s)?,
    };
    let b = basic.as_bytes();
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = basic.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let (y, mo, d) = (num(0..4)?, num(4..6)?, num(6..8)?);
    let (h, mi, sec) = (num(9..11)?, num(11..13)?, num(13..15)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    Some(days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// `2026-12-01T17:00:00Z` (or `.123Z`, or `+00:00`) as `20261201T170000Z`.
fn extended(s: &str) -> Option<String> {
    let (main, zone) = s.split_at_checked(19)?;
    let zone = zone.trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    if zone != "Z" && zone != "+00:00" {
        return None;
    }
    let m = main.as_bytes();
    let seps = [(4, b'-'), (7, b'-'), (10, b'T'), (13, b':'), (16, b':')];
    if seps.iter().any(|&(i, c)| m[i] != c) {
        return None;
    }
    Some(format!(
        "{}T{}Z",
        main[..10].replace('-', ""),
        main[11..].replace(':', "")
    ))
}

/// Days from 1970-01-01 to a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_basic_and_extended_forms() {
        assert_eq!(unix_seconds("19700101T000000Z"), Some(0));
        assert_eq!(unix_seconds("20150830T123600Z"), Some(1_440_938_160));
        assert_eq!(unix_seconds("2015-08-30T12:36:00Z"), Some(1_440_938_160));
        assert_eq!(
            unix_seconds("2015-08-30T12:36:00.250Z"),
            Some(1_440_938_160)
        );
        assert_eq!(
            unix_seconds("2015-08-30T12:36:00+00:00"),
            Some(1_440_938_160)
        );
        for bad in [
            "",
            "2015-08-30T12:36:00+02:00",
            "20151330T123600Z",
            "2015083OT123600Z",
            "20150830 123600Z",
            "2015-08-30 12:36:00Z",
        ] {
            assert_eq!(unix_seconds(bad), None, "{bad}");
        }
    }
}
