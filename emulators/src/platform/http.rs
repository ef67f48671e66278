//! HTTP details shared by the emulated products: HTTP Basic credentials as a
//! server reads them, and the `Date` header's format.

use crate::tls::HttpRequest;

/// The `user:password` of an HTTP Basic `Authorization` header.
pub fn basic_credentials(r: &HttpRequest) -> Option<(String, String)> {
    use base64::Engine as _;
    let v = r
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))?
        .1
        .clone();
    let b64 = v.strip_prefix("Basic ")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

/// An RFC 9110 HTTP-date (`Mon, 23 Nov 2026 00:40:43 GMT`).
pub fn http_date(t: time::OffsetDateTime) -> String {
    use crate::clock::MONTH_ABBR;
    let t = t.to_offset(time::UtcOffset::UTC);
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    format!(
        "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
        DAYS[t.weekday().number_days_from_monday() as usize],
        t.day(),
        MONTH_ABBR[t.month() as usize - 1],
        t.year(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date(time::macros::datetime!(2026-11-23 00:40:43 UTC)),
            "Mon, 23 Nov 2026 00:40:43 GMT"
        );
    }
}
