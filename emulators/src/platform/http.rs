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

/// Escapes text for XML or HTML content and attribute values (`&`, `<`,
/// `>`, `"`).
pub fn escape_markup(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Percent-decodes a query or form value (`+` is a space, as in forms;
/// a `%` not followed by two hex digits stays as it is).
pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b[i], hex) {
            (b'+', _) => out.push(b' '),
            (b'%', Some(v)) => {
                out.push(v);
                i += 2;
            }
            (c, _) => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value (RFC 3986's unreserved characters stay).
pub fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The fields of a query string or an `application/x-www-form-urlencoded`
/// body (the last of a repeated name wins).
pub fn form_fields(text: &str) -> std::collections::HashMap<String, String> {
    text.split('&')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (percent_decode(k), percent_decode(v)))
        .collect()
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
    fn percent_coding() {
        assert_eq!(percent_decode("a%20b+c%2"), "a b c%2");
        assert_eq!(percent_decode("%zz%41"), "%zzA");
        let s = "https://finessea.example.com:8445/desktop/sso/authcode?a=b c&d";
        assert_eq!(form_fields(&format!("x={}", percent_encode(s)))["x"], s);
    }

    #[test]
    fn http_dates() {
        assert_eq!(
            http_date(time::macros::datetime!(2026-11-23 00:40:43 UTC)),
            "Mon, 23 Nov 2026 00:40:43 GMT"
        );
    }
}
