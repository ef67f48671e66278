//! The topology clock: every certificate validity window, log timestamp and
//! expiry decision is taken from a [`Clock`], never from the machine's time
//! directly, so that "expired" and "not yet valid" scenarios
//! (docs/requirements.md §5, F25) never go stale and transcripts stay
//! deterministic.

use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

/// English month abbreviations, as Java's `Date.toString()`, keytool,
/// OpenSSL and Tomcat print them.
pub const MONTH_ABBR: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A clock that is either the system clock or a fixed instant that only moves
/// when told to. Cloning shares the same clock.
#[derive(Clone, Debug)]
pub struct Clock(Arc<Inner>);

#[derive(Debug)]
enum Inner {
    System,
    Fixed(Mutex<OffsetDateTime>),
}

impl Clock {
    /// The machine's clock (UTC).
    pub fn system() -> Self {
        Clock(Arc::new(Inner::System))
    }

    /// A clock stopped at `at`; it moves only through [`Clock::advance`] / [`Clock::set`].
    pub fn fixed(at: OffsetDateTime) -> Self {
        Clock(Arc::new(Inner::Fixed(Mutex::new(at))))
    }

    /// The current instant, truncated to whole seconds (X.509 times have no
    /// fractions, so certificates minted from the clock compare exactly).
    pub fn now(&self) -> OffsetDateTime {
        let t = match &*self.0 {
            Inner::System => OffsetDateTime::now_utc(),
            Inner::Fixed(m) => *m.lock().unwrap_or_else(|e| e.into_inner()),
        };
        t.replace_nanosecond(0).unwrap_or(t)
    }

    /// Moves a fixed clock forward (or back, with a negative duration).
    /// Returns false, changing nothing, on the system clock.
    pub fn advance(&self, by: Duration) -> bool {
        match &*self.0 {
            Inner::System => false,
            Inner::Fixed(m) => {
                let mut t = m.lock().unwrap_or_else(|e| e.into_inner());
                *t += by;
                true
            }
        }
    }

    /// Sets a fixed clock to `at`. Returns false on the system clock.
    pub fn set(&self, at: OffsetDateTime) -> bool {
        match &*self.0 {
            Inner::System => false,
            Inner::Fixed(m) => {
                *m.lock().unwrap_or_else(|e| e.into_inner()) = at;
                true
            }
        }
    }

    /// True for a fixed (test) clock.
    pub fn is_fixed(&self) -> bool {
        matches!(&*self.0, Inner::Fixed(_))
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

/// Parses a time as the CLI accepts it: RFC 3339 (`2026-01-01T00:00:00Z`), a
/// bare date (`2026-01-01`, midnight UTC), or an offset from `now` such as
/// `-1d`, `+365d`, `90d`, `-2h`, `30m`, `2y`, `0` (units s, m, h, d, w, y = 365 days).
pub fn parse_time(text: &str, now: OffsetDateTime) -> Result<OffsetDateTime, String> {
    let s = text.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Ok(t.to_offset(time::UtcOffset::UTC));
    }
    let date_fmt = time::macros::format_description!("[year]-[month]-[day]");
    if let Ok(d) = time::Date::parse(s, &date_fmt) {
        return Ok(d.midnight().assume_utc());
    }
    if s == "0" || s == "now" {
        return Ok(now);
    }
    // a date that is not one (`2026-13-45T99:00:00Z`) is not an offset either
    if s.len() >= 8
        && s.as_bytes().get(4) == Some(&b'-')
        && s[..4].bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!(
            "`{text}` is not a valid date and time (RFC 3339, e.g. 2026-01-01T00:00:00Z, or YYYY-MM-DD)"
        ));
    }
    let (sign, rest) = match s.as_bytes().first() {
        Some(b'-') => (-1i64, &s[1..]),
        Some(b'+') => (1, &s[1..]),
        _ => (1, s),
    };
    let unit_at = rest.find(|c: char| !c.is_ascii_digit()).ok_or_else(|| {
        format!("`{text}`: an offset needs a unit (s, m, h, d, w, y), e.g. `-1d`")
    })?;
    let (num, unit) = rest.split_at(unit_at);
    let n: i64 = num
        .parse()
        .map_err(|_| format!("`{text}` is neither RFC 3339, YYYY-MM-DD nor an offset like -1d"))?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        "y" => 365 * 86_400,
        _ => {
            return Err(format!(
                "`{text}`: unknown unit `{unit}` (use s, m, h, d, w, y)"
            ))
        }
    };
    n.checked_mul(secs)
        .and_then(|s| s.checked_mul(sign))
        .and_then(|s| now.checked_add(Duration::seconds(s)))
        .ok_or_else(|| format!("`{text}`: out of range"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn offsets_out_of_range_are_errors() {
        let now = datetime!(2026-01-01 0:00 UTC);
        assert!(parse_time("+10000y", now).is_err());
        assert!(parse_time("+9223372036854775807s", now).is_err());
        assert!(parse_time("-9223372036854775807y", now).is_err());
    }

    #[test]
    fn fixed_clock_moves_only_when_told() {
        let c = Clock::fixed(datetime!(2026-01-01 0:00 UTC));
        assert_eq!(c.now(), datetime!(2026-01-01 0:00 UTC));
        assert!(c.advance(Duration::days(400)));
        assert_eq!(c.now(), datetime!(2027-02-05 0:00 UTC));
        let shared = c.clone();
        shared.set(datetime!(2020-04-15 0:00 UTC));
        assert_eq!(c.now(), datetime!(2020-04-15 0:00 UTC));
        assert!(!Clock::system().advance(Duration::days(1)));
    }

    #[test]
    fn parses_cli_times() {
        let now = datetime!(2026-06-01 12:00 UTC);
        assert_eq!(
            parse_time("-1d", now).unwrap(),
            datetime!(2026-05-31 12:00 UTC)
        );
        assert_eq!(
            parse_time("+2w", now).unwrap(),
            datetime!(2026-06-15 12:00 UTC)
        );
        assert_eq!(
            parse_time("2021-04-15", now).unwrap(),
            datetime!(2021-04-15 0:00 UTC)
        );
        assert_eq!(
            parse_time("2020-04-15T10:00:00+09:00", now).unwrap(),
            datetime!(2020-04-15 1:00 UTC)
        );
        assert!(parse_time("yesterday", now).is_err());
        assert!(parse_time("5x", now).unwrap_err().contains("unknown unit"));
        assert_eq!(
            parse_time("1y", now).unwrap(),
            datetime!(2027-06-01 12:00 UTC)
        );
    }
}
