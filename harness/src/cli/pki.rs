//! `ccelab pki`: CAs (the AD CS role), certificates (IIS / keytool
//! self-signed, CA-issued), CSRs (IIS / MMC requests) and signing them.
//!
//! Keys come from ccelab's key pool by default: public, deterministic
//! TEST-ONLY keys (the same name gets the same key on every machine), so that
//! labs and tests are reproducible and no RSA key is generated. `--fresh-key`
//! generates a new random key instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ccelab_emulators::clock::{parse_time, Clock};
use ccelab_emulators::pki::{
    dn, keypool, Ca, CertParams, Certificate, Csr, Issued, KeyPair, KeyType, San, SigHash,
};
use ccelab_emulators::stores::{Keystore, StoreType};
use clap::{Args, Subcommand};
use time::Duration;

use super::{read, write_files, CliResult, Failure};

/// The subcommands of `ccelab pki`.
#[derive(Subcommand, Debug)]
pub(crate) enum PkiCommand {
    /// Make a root CA, or an intermediate (issuing) CA when --issuer names a CA directory.
    /// Writes DIR/cert.pem and DIR/key.pem (PKCS#8); an intermediate also gets
    /// DIR/issuers.pem (the certificates above it, root last).
    Ca(CaArgs),
    /// Issue a certificate signed by a CA directory (or --self-signed).
    /// Writes DIR/cert.pem, DIR/key.pem, DIR/chain.pem (leaf, then issuers up
    /// to but not including the root) and DIR/cert.pfx.
    Issue(IssueArgs),
    /// Make a PKCS#10 request, as IIS "Create Certificate Request" does.
    /// Writes DIR/request.csr and DIR/key.pem.
    Csr(CsrArgs),
    /// Sign a CSR (from openssl req, keytool -certreq, IIS or `ccelab pki csr`)
    /// with a CA directory, keeping the requested subject and SANs.
    Sign(SignArgs),
    /// Regenerate the key pool files from their seeds (maintainers only).
    #[command(hide = true)]
    Keypool {
        /// The directory to write the pool files to.
        #[arg(long)]
        out: PathBuf,
    },
}

/// The key options of the commands that make a key: its type and where it comes from.
#[derive(Args, Debug)]
pub(crate) struct KeyArgs {
    /// Key type: rsa1024, rsa2048, rsa3072, rsa4096, p256, p384.
    #[arg(long, default_value = "rsa2048")]
    key: KeyType,
    /// Take key number N of the pool instead of the one chosen from the name.
    #[arg(long, value_name = "N")]
    key_index: Option<usize>,
    /// Generate a fresh random key instead of a pool key (slow for RSA; not reproducible).
    #[arg(long, conflicts_with = "key_index")]
    fresh_key: bool,
}

/// The subject options: a CN or a whole DN.
#[derive(Args, Debug)]
pub(crate) struct NameArgs {
    /// Common name (CN).
    #[arg(long)]
    cn: Option<String>,
    /// Full subject in keytool -dname form, most specific first,
    /// e.g. "CN=Example Enterprise CA, DC=example, DC=local". Overrides --cn.
    #[arg(long)]
    subject: Option<String>,
}

/// The options of a certificate being signed: validity, signature hash, serial.
#[derive(Args, Debug)]
pub(crate) struct ValidityArgs {
    /// Validity in days from not-before (default: 3650 for CAs, 365 otherwise).
    #[arg(long)]
    days: Option<i64>,
    /// Start of validity: RFC 3339, YYYY-MM-DD, or an offset from now such as -1d (default: now).
    #[arg(long, allow_hyphen_values = true)]
    not_before: Option<String>,
    /// End of validity: as --not-before, e.g. -1d for an already expired certificate.
    #[arg(long, allow_hyphen_values = true)]
    not_after: Option<String>,
    /// Signature hash: sha256 (default; sha384 for P-384 signers), sha1, sha384, sha512.
    #[arg(long)]
    hash: Option<SigHash>,
    /// Serial number in hex (default: derived from the certificate's content, so reproducible).
    #[arg(long, value_name = "HEX")]
    serial: Option<String>,
}

fn serial(v: &ValidityArgs) -> Result<Option<Vec<u8>>, Failure> {
    let Some(h) = &v.serial else { return Ok(None) };
    let h = h.trim_start_matches("0x");
    let h = if h.len() % 2 == 1 {
        format!("0{h}")
    } else {
        h.to_string()
    };
    let bytes =
        hex::decode(&h).map_err(|_| Failure::new("--serial", format!("`{h}` is not hex")))?;
    let trimmed: Vec<u8> = bytes.iter().copied().skip_while(|b| *b == 0).collect();
    if trimmed.is_empty() || trimmed.len() > 20 {
        return Err(Failure::new(
            "--serial",
            "a serial is 1 to 20 bytes and not zero (RFC 5280 4.1.2.2)",
        ));
    }
    // a positive DER INTEGER: prefix 00 when the high bit is set
    Ok(Some(if trimmed[0] & 0x80 != 0 {
        [vec![0], trimmed].concat()
    } else {
        trimmed
    }))
}

/// The options of `ccelab pki ca`.
#[derive(Args, Debug)]
pub(crate) struct CaArgs {
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    name: NameArgs,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    validity: ValidityArgs,
    /// Make an intermediate CA signed by the CA in this directory.
    #[arg(long, value_name = "DIR")]
    issuer: Option<PathBuf>,
    /// Path length constraint of the CA.
    #[arg(long)]
    path_len: Option<u8>,
}

/// The options of `ccelab pki issue`.
#[derive(Args, Debug)]
pub(crate) struct IssueArgs {
    /// The issuing CA's directory (from `ccelab pki ca`).
    #[arg(long, value_name = "DIR", required_unless_present = "self_signed")]
    ca: Option<PathBuf>,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    name: NameArgs,
    /// Subject alternative name: dns:NAME or ip:ADDR (repeatable). None: CN only.
    #[arg(long = "san", value_name = "dns:NAME|ip:ADDR")]
    sans: Vec<San>,
    #[command(flatten)]
    key: KeyArgs,
    #[command(flatten)]
    validity: ValidityArgs,
    /// Self-signed, as IIS "Create Self-Signed Certificate" or keytool -genkeypair.
    #[arg(long, conflicts_with = "ca")]
    self_signed: bool,
    /// Password of DIR/cert.pfx.
    #[arg(long, default_value = "changeit")]
    pfx_pass: String,
}

/// The options of `ccelab pki csr`.
#[derive(Args, Debug)]
pub(crate) struct CsrArgs {
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    name: NameArgs,
    /// Requested SAN: dns:NAME or ip:ADDR (repeatable). [ECE] 1.1: repeat the CN here.
    #[arg(long = "san", value_name = "dns:NAME|ip:ADDR")]
    sans: Vec<San>,
    #[command(flatten)]
    key: KeyArgs,
    /// Signature hash of the request.
    #[arg(long)]
    hash: Option<SigHash>,
}

/// The options of `ccelab pki sign`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// The signing CA's directory.
    #[arg(long, value_name = "DIR")]
    ca: PathBuf,
    /// The request (PEM or DER).
    #[arg(long)]
    csr: PathBuf,
    /// Where to write the signed certificate (PEM).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    validity: ValidityArgs,
}

/// Runs a `ccelab pki` subcommand.
pub(crate) fn run(cmd: PkiCommand) -> CliResult {
    let clock = Clock::system();
    match cmd {
        PkiCommand::Ca(a) => ca(a, &clock),
        PkiCommand::Issue(a) => issue(a, &clock),
        PkiCommand::Csr(a) => csr(a),
        PkiCommand::Sign(a) => sign(a, &clock),
        PkiCommand::Keypool { out } => {
            std::fs::create_dir_all(&out).map_err(|e| Failure::file(&out, e))?;
            keypool::write_pool(&out, &KeyType::ALL).map_err(|e| Failure::file(&out, e))
        }
    }
}

fn subject(n: &NameArgs, default_cn: Option<&str>) -> Result<String, Failure> {
    if let Some(s) = &n.subject {
        dn::parse(s).map_err(|e| Failure::new("--subject", e))?;
        return Ok(s.clone());
    }
    match n.cn.as_deref().or(default_cn) {
        Some(cn) => {
            let escaped: String = cn
                .chars()
                .flat_map(|c| {
                    if ",+=\"\\<>;#".contains(c) {
                        vec!['\\', c]
                    } else {
                        vec![c]
                    }
                })
                .collect();
            Ok(format!("CN={escaped}"))
        }
        None => Err(Failure::new("arguments", "give --cn NAME or --subject DN")),
    }
}

/// The pool index for a name: stable across machines, spread over the committed keys.
fn index_for(name: &str, kt: KeyType) -> usize {
    let h = name.bytes().fold(0xcbf29ce484222325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100000001b3)
    });
    (h % keypool::committed(kt).max(1) as u64) as usize
}

fn pick_key(k: &KeyArgs, name: &str, avoid: Option<&KeyPair>) -> Result<Arc<KeyPair>, Failure> {
    if k.fresh_key {
        return KeyPair::generate(k.key, &mut rand::rngs::OsRng)
            .map_err(|e| Failure::new("--fresh-key", e));
    }
    let mut idx = k.key_index.unwrap_or_else(|| index_for(name, k.key));
    loop {
        let key = keypool::key(k.key, idx).map_err(|e| Failure::new("key pool", e))?;
        match avoid {
            // never certify a key with itself unless asked for a specific index
            Some(a) if k.key_index.is_none() && a.spki_der() == key.spki_der() => idx += 1,
            _ => return Ok(key),
        }
    }
}

fn window(
    v: &ValidityArgs,
    clock: &Clock,
    default_days: i64,
) -> Result<(time::OffsetDateTime, time::OffsetDateTime), Failure> {
    let now = clock.now();
    let nb = match &v.not_before {
        Some(t) => parse_time(t, now).map_err(|e| Failure::new("--not-before", e))?,
        None => now,
    };
    let na = match &v.not_after {
        Some(t) => parse_time(t, now).map_err(|e| Failure::new("--not-after", e))?,
        None => nb + Duration::days(v.days.unwrap_or(default_days)),
    };
    if na < nb {
        return Err(Failure::new(
            "--not-after",
            format!("{na} is before not-before {nb}"),
        ));
    }
    Ok((nb, na))
}

/// Loads a CA directory: cert.pem, key.pem and (for intermediates) issuers.pem.
pub(crate) fn load_ca(dir: &Path) -> Result<Ca, Failure> {
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    let cert_text = String::from_utf8_lossy(&read(&cert_path)?).into_owned();
    let cert = Certificate::all_from_pem(&cert_text)
        .map_err(|e| Failure::file(&cert_path, e))?
        .into_iter()
        .next()
        .ok_or_else(|| Failure::file(&cert_path, "no certificate in the file"))?;
    let key = KeyPair::from_pem(&String::from_utf8_lossy(&read(&key_path)?))
        .map_err(|e| Failure::file(&key_path, e))?;
    let issuers_path = dir.join("issuers.pem");
    let parents = if issuers_path.exists() {
        Certificate::all_from_pem(&String::from_utf8_lossy(&read(&issuers_path)?))
            .map_err(|e| Failure::file(&issuers_path, e))?
    } else {
        Vec::new()
    };
    Ca::from_parts(cert, key, parents).map_err(|e| Failure::file(dir, e))
}

fn pem_all(certs: &[Certificate]) -> Vec<u8> {
    certs
        .iter()
        .map(|c| c.to_pem())
        .collect::<String>()
        .into_bytes()
}

fn ca(a: CaArgs, clock: &Clock) -> CliResult {
    let subj = subject(&a.name, None)?;
    let (nb, na) = window(&a.validity, clock, 3650)?;
    let mut params = CertParams::ca(&subj, nb, na).map_err(|e| Failure::new("--subject", e))?;
    params.ca = Some(a.path_len);
    params.hash = a.validity.hash;
    params.serial = serial(&a.validity)?;
    let parent = a.issuer.as_deref().map(load_ca).transpose()?;
    let key = pick_key(&a.key, &subj, parent.as_ref().map(|p| p.key.as_ref()))?;
    let made = match &parent {
        Some(p) => p.intermediate(&params, key),
        None => Ca::root(&params, key),
    }
    .map_err(|e| Failure::new(a.out.display(), e))?;
    let mut files = vec![
        ("cert.pem", made.cert.to_pem().into_bytes()),
        ("key.pem", made.key.to_pkcs8_pem().into_bytes()),
    ];
    if !made.parents.is_empty() {
        files.push(("issuers.pem", pem_all(&made.parents)));
    }
    write_files(&a.out, &files)?;
    out!(
        "{} CA {} in {}",
        if parent.is_some() {
            "intermediate"
        } else {
            "root"
        },
        made.cert.subject_string(),
        a.out.display()
    );
    Ok(())
}

fn issue(a: IssueArgs, clock: &Clock) -> CliResult {
    let subj = subject(&a.name, None)?;
    let (nb, na) = window(&a.validity, clock, 365)?;
    let mut params = CertParams::leaf(&subj, nb, na)
        .map_err(|e| Failure::new("--subject", e))?
        .with_sans(a.sans.clone());
    params.hash = a.validity.hash;
    let issued = match &a.ca {
        Some(dir) if !a.self_signed => {
            let ca = load_ca(dir)?;
            let key = pick_key(&a.key, &subj, Some(&ca.key))?;
            ca.issue(&params, key)
                .map_err(|e| Failure::new(a.out.display(), e))?
        }
        _ => {
            let key = pick_key(&a.key, &subj, None)?;
            Issued::self_signed(&params, key).map_err(|e| Failure::new(a.out.display(), e))?
        }
    };
    let chain = issued.chain();
    let alias = issued
        .cert
        .common_name()
        .unwrap_or_else(|| "1".into())
        .to_lowercase();
    let mut pfx = Keystore::new(StoreType::Pkcs12);
    pfx.set_key_entry(
        &alias,
        issued.key.pkcs8_der().to_vec(),
        chain.clone(),
        clock.now(),
    )
    .map_err(|e| Failure::new("cert.pfx", e))?;
    let pfx_bytes = pfx
        .to_bytes(&a.pfx_pass, None)
        .map_err(|e| Failure::new("cert.pfx", e))?;
    write_files(
        &a.out,
        &[
            ("cert.pem", issued.cert.to_pem().into_bytes()),
            ("key.pem", issued.key.to_pkcs8_pem().into_bytes()),
            ("chain.pem", pem_all(&chain)),
            ("cert.pfx", pfx_bytes),
        ],
    )?;
    out!(
        "{} (issuer: {}) in {}",
        issued.cert.subject_string(),
        issued.cert.issuer_string(),
        a.out.display()
    );
    Ok(())
}

fn csr(a: CsrArgs) -> CliResult {
    let subj = subject(&a.name, None)?;
    let name = dn::parse(&subj).map_err(|e| Failure::new("--subject", e))?;
    let key = pick_key(&a.key, &subj, None)?;
    let hash = a
        .hash
        .unwrap_or_else(|| ccelab_emulators::pki::default_hash(key.key_type()));
    let req = Csr::new(&name, &a.sans, &key, hash).map_err(|e| Failure::new(a.out.display(), e))?;
    write_files(
        &a.out,
        &[
            ("request.csr", req.to_pem().into_bytes()),
            ("key.pem", key.to_pkcs8_pem().into_bytes()),
        ],
    )?;
    out!(
        "request for {} in {}",
        req.subject_string(),
        a.out.display()
    );
    Ok(())
}

fn sign(a: SignArgs, clock: &Clock) -> CliResult {
    let ca = load_ca(&a.ca)?;
    let req = Csr::parse(&read(&a.csr)?).map_err(|e| Failure::file(&a.csr, e))?;
    let (nb, na) = window(&a.validity, clock, 365)?;
    let mut params = CertParams::leaf("", nb, na)
        .map_err(|e| Failure::new("csr", e))?
        .with_sans(req.sans());
    params.subject = req.subject().clone();
    params.hash = a.validity.hash;
    params.serial = serial(&a.validity)?;
    let cert = ca
        .issue_for_spki(&params, &req.spki_der())
        .map_err(|e| Failure::file(&a.csr, e))?;
    ccelab_emulators::stores::write_atomic(&a.out, cert.to_pem().as_bytes())
        .map_err(|e| Failure::file(&a.out, e))?;
    out!(
        "{} signed by {} in {}",
        cert.subject_string(),
        cert.issuer_string(),
        a.out.display()
    );
    Ok(())
}
