//! A tolerant PEM scanner: finds every `-----BEGIN X-----` … `-----END X-----`
//! block in a text, whatever surrounds it (the `openssl s_client` output that
//! [ECE] 2.1 tells the administrator to copy from, `openssl x509 -text` dumps,
//! CRLF line ends of Windows `.cer` files), and writes blocks back with
//! 64-column lines as openssl and keytool `-rfc` do.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// One decoded PEM block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The label between `BEGIN ` and `-----`, e.g. `CERTIFICATE`.
    pub label: String,
    /// The decoded bytes.
    pub der: Vec<u8>,
    /// 1-based line of the BEGIN line, for error messages.
    pub line: usize,
}

/// Why a text could not be read as PEM.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PemError {
    /// A BEGIN line without the END line of the same label after it (a block
    /// copied only in part).
    #[error("line {line}: `-----BEGIN {label}-----` has no matching END line")]
    Unterminated {
        /// The block's label.
        label: String,
        /// 1-based line of the BEGIN line.
        line: usize,
    },
    /// The lines between BEGIN and END do not decode as Base-64.
    #[error("line {line}: the base-64 body of the {label} block is not valid base 64")]
    BadBase64 {
        /// The block's label.
        label: String,
        /// 1-based line of the BEGIN line.
        line: usize,
    },
}

/// Returns true when `bytes` look like PEM text (a BEGIN line anywhere in the
/// first 64 KiB), the content sniff used instead of file extensions.
pub fn looks_like_pem(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(65536)];
    head.windows(11).any(|w| w == b"-----BEGIN ")
}

/// Decodes every PEM block in `text`.
pub fn parse(text: &str) -> Result<Vec<Block>, PemError> {
    let mut out = Vec::new();
    let mut lines = text.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let Some(label) = begin_label(line) else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for (_, l) in lines.by_ref() {
            let l = l.trim();
            if l == end {
                closed = true;
                break;
            }
            // RFC 1421 headers (Proc-Type, DEK-Info) are not base 64.
            if l.contains(':') {
                continue;
            }
            body.push_str(l);
        }
        if !closed {
            return Err(PemError::Unterminated {
                label: label.to_string(),
                line: i + 1,
            });
        }
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|_| PemError::BadBase64 {
                label: label.to_string(),
                line: i + 1,
            })?;
        out.push(Block {
            label: label.to_string(),
            der,
            line: i + 1,
        });
    }
    Ok(out)
}

fn begin_label(line: &str) -> Option<&str> {
    let l = line.trim();
    let rest = l.strip_prefix("-----BEGIN ")?;
    rest.strip_suffix("-----")
}

/// Encodes one block with 64-character lines and LF line ends.
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut s = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    s.push_str("-----BEGIN ");
    s.push_str(label);
    s.push_str("-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        // base 64 output is ASCII
        s.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        s.push('\n');
    }
    s.push_str("-----END ");
    s.push_str(label);
    s.push_str("-----\n");
    s
}

/// Encodes one block as `keytool -exportcert -rfc` writes it: Java's MIME
/// base-64 encoder breaks the body at 64 columns with CRLF, while the BEGIN
/// and END lines end in LF (checked against JDK 17 keytool in the CLI tests).
pub fn encode_java_rfc(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        body.join("\r\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_in_noise_and_crlf() {
        let text = "CONNECTED(00000003)\r\nServer certificate\r\n-----BEGIN CERTIFICATE-----\r\nAAEC\r\nAw==\r\n-----END CERTIFICATE-----\r\nsubject=CN = x\n-----BEGIN PRIVATE KEY-----\nBAU=\n-----END PRIVATE KEY-----\n";
        let blocks = parse(text).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].label, "CERTIFICATE");
        assert_eq!(blocks[0].der, vec![0, 1, 2, 3]);
        assert_eq!(blocks[0].line, 3);
        assert_eq!(blocks[1].label, "PRIVATE KEY");
        assert_eq!(blocks[1].der, vec![4, 5]);
    }

    #[test]
    fn reports_broken_blocks_with_lines() {
        assert_eq!(
            parse("\n-----BEGIN CERTIFICATE-----\nAAEC\n").unwrap_err(),
            PemError::Unterminated {
                label: "CERTIFICATE".into(),
                line: 2
            }
        );
        assert!(matches!(
            parse("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----\n"),
            Err(PemError::BadBase64 { .. })
        ));
    }

    #[test]
    fn encodes_64_columns() {
        let der = vec![7u8; 100];
        let pem = encode("CERTIFICATE", &der);
        assert!(pem.lines().all(|l| l.len() <= 64));
        assert_eq!(parse(&pem).unwrap()[0].der, der);
    }
}
