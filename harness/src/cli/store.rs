//! `ccelab store`: keytool's everyday operations on key/trust stores of any
//! format, with keytool's texts: `list` prints what `keytool -list -v` prints
//! (without the extension dump), `import` refuses an existing alias with
//! keytool's message, wrong passwords give keytool's exception texts.

use std::path::PathBuf;

use ccelab_emulators::personality::java::java_date;
use ccelab_emulators::pki::{Certificate, KeyType};
use ccelab_emulators::stores::{detect, Entry, Keystore, StoreError, StoreType};
use clap::{Args, Subcommand};
use time::OffsetDateTime;

use super::{read, CliResult, Failure};

/// The subcommands of `ccelab store`.
#[derive(Subcommand, Debug)]
pub(crate) enum StoreCommand {
    /// List entries like `keytool -list -v`: alias, creation date, entry type,
    /// owner, issuer, serial, validity, fingerprints.
    List(ListArgs),
    /// Import a trusted certificate (PEM or DER) like `keytool -importcert -noprompt`.
    /// Creates the store if missing (type from --storetype, default that of --java's
    /// keytool: pkcs12 as JDK 17 and 11, jks as JDK 8).
    Import(ImportArgs),
    /// Write an entry's certificate to a file (PEM, or DER with --der) like `keytool -exportcert`.
    Export(ExportArgs),
    /// Delete an entry like `keytool -delete`.
    Delete(DeleteArgs),
    /// Convert a store to another format (jks, jceks, pkcs12, pem, der).
    Convert(ConvertArgs),
}

/// The store password option.
#[derive(Args, Debug)]
pub(crate) struct PassArgs {
    /// Store password (the JDK cacerts default is changeit).
    #[arg(long, default_value = "changeit")]
    storepass: String,
}

/// The options of `ccelab store list`.
#[derive(Args, Debug)]
pub(crate) struct ListArgs {
    /// The store file (format found from its content).
    file: PathBuf,
    #[command(flatten)]
    pass: PassArgs,
    /// Only entries with this alias.
    #[arg(long)]
    alias: Option<String>,
    /// One line per entry, like `keytool -list` without -v.
    #[arg(long)]
    short: bool,
}

/// The options of `ccelab store import`.
#[derive(Args, Debug)]
pub(crate) struct ImportArgs {
    /// The store file (created if missing; an existing one's format is found from its content).
    file: PathBuf,
    /// The alias of the new entry (refused if the store has it already, as keytool refuses it).
    #[arg(long)]
    alias: String,
    /// The certificate file (PEM or DER; the first certificate is taken).
    #[arg(long)]
    cert: PathBuf,
    #[command(flatten)]
    pass: PassArgs,
    /// Type of a new store: jks, jceks, pkcs12 (ignored when the store exists; default:
    /// the --java keytool's default).
    #[arg(long)]
    storetype: Option<StoreType>,
    /// Whose keytool: 8 (its new stores are JKS: `keystore.type=jks`), 11 or 17 (PKCS12,
    /// JEP 229); default 17.
    #[arg(long, default_value = "17")]
    java: ccelab_emulators::personality::jre::Jre,
}

/// The options of `ccelab store export`.
#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// The store file (format found from its content).
    file: PathBuf,
    /// The alias of the entry whose certificate is written.
    #[arg(long)]
    alias: String,
    /// The file to write the certificate to (replaced if it exists).
    #[arg(long)]
    out: PathBuf,
    #[command(flatten)]
    pass: PassArgs,
    /// Write DER instead of PEM.
    #[arg(long)]
    der: bool,
}

/// The options of `ccelab store delete`.
#[derive(Args, Debug)]
pub(crate) struct DeleteArgs {
    /// The store file (format found from its content).
    file: PathBuf,
    /// The alias of the entry to delete.
    #[arg(long)]
    alias: String,
    #[command(flatten)]
    pass: PassArgs,
}

/// The options of `ccelab store convert`.
#[derive(Args, Debug)]
pub(crate) struct ConvertArgs {
    /// Source store.
    input: PathBuf,
    /// Destination file (refused if it exists, unless --force).
    output: PathBuf,
    /// Destination format.
    #[arg(long)]
    to: StoreType,
    #[command(flatten)]
    pass: PassArgs,
    /// Destination password (default: the source's).
    #[arg(long)]
    deststorepass: Option<String>,
    /// Password of the source's private keys (default: the store password, as keytool).
    #[arg(long)]
    keypass: Option<String>,
    /// Replace an existing destination.
    #[arg(long)]
    force: bool,
}

/// Runs a `ccelab store` subcommand.
pub(crate) fn run(cmd: StoreCommand) -> CliResult {
    match cmd {
        StoreCommand::List(a) => list(a),
        StoreCommand::Import(a) => import(a),
        StoreCommand::Export(a) => export(a),
        StoreCommand::Delete(a) => delete(a),
        StoreCommand::Convert(a) => convert(a),
    }
}

fn load(path: &std::path::Path, storepass: &str) -> Result<Keystore, Failure> {
    let bytes = ccelab_emulators::stores::read_file(path).map_err(|e| Failure::file(path, e))?;
    Keystore::load(&bytes, Some(storepass)).map_err(|e| Failure::file(path, e))
}

/// keytool's `Warning:` block on stderr at the end of a command, as keytool
/// 11 and 17 print it (measured with 11.0.13 and 17.0.15, the same texts):
/// `weak` (what [`weak_lines`] says about the certificates the command
/// touched), then — when the store is JKS or JCEKS and holds a key entry
/// after the command (not for trusted certificates only; not after
/// `-delete` of the last key) — its "proprietary format" advice naming
/// `file` as the user did. Nothing when there is nothing to say. JDK 8's
/// keytool has the same three texts (`whose.sigalg.weak`, `whose.key.weak`,
/// `jks.storetype.warning` in an 8u of 2020's `sun/security/tools/keytool/
/// Resources.java`, ojdkbuild/lookaside_java-1.8.0-openjdk ba5fd0d0; the
/// format advice seen with 1.8.0_265, kaikramer/keystore-explorer#234): the
/// 8u backports of JDK-8171319 and JDK-8182879. Which 8u update first has
/// them is not pinned (M): an older 8u may print less.
fn warnings(weak: Vec<String>, ks: &Keystore, file: &std::path::Path) {
    let mut lines = weak;
    let proprietary = matches!(ks.store_type, StoreType::Jks | StoreType::Jceks);
    if proprietary
        && ks
            .entries()
            .iter()
            .any(|e| !matches!(e.entry, Entry::Trusted(_)))
    {
        let f = file.display();
        lines.push(format!(
            "The {} keystore uses a proprietary format. It is recommended to migrate to PKCS12 which is an industry standard format using \"keytool -importkeystore -srckeystore {f} -destkeystore {f} -deststoretype pkcs12\".",
            ks.store_type.keytool_name()
        ));
    }
    if !lines.is_empty() {
        eprintln!("\nWarning:\n{}", lines.join("\n"));
    }
}

/// keytool's lines about a certificate with a legacy algorithm (JDK 17's
/// `jdk.security.legacyAlgorithms`: SHA-1 signatures, RSA keys under 2048
/// bits), `label` naming it (`<alias>` in a listing, `The input` for an
/// import, `The certificate` for an export); its signature is not judged
/// when `anchor` (keytool does not judge a trusted entry's own signature,
/// but does an imported certificate's, self-signed or not).
fn weak_lines(label: &str, c: &Certificate, anchor: bool) -> Vec<String> {
    let mut out = Vec::new();
    let sig = c.signature_algorithm_name();
    if !anchor && legacy_signature(c) {
        out.push(format!("{label} uses the {sig} signature algorithm which is considered a security risk. This algorithm will be disabled in a future update."));
    }
    if legacy_key(c) {
        out.push(format!(
            "{label} uses a {} which is considered a security risk. This key size will be disabled in a future update.",
            key_algorithm_plain(c)
        ));
    }
    out
}

/// A SHA-1 signature: legacy for keytool (JDK 17's `jdk.security.legacyAlgorithms`).
fn legacy_signature(c: &Certificate) -> bool {
    c.signature_algorithm_name().starts_with("SHA1")
}

/// An RSA key under 2048 bits: legacy for keytool.
fn legacy_key(c: &Certificate) -> bool {
    matches!(c.key_type(), Some(k) if k.rsa_bits().is_some_and(|b| b < 2048))
}

/// What keytool says about an entry: a trusted certificate's key; a key
/// entry's own certificate (the first of its chain), signature and key.
fn entry_weak_lines(label: &str, entry: &Entry) -> Vec<String> {
    match entry {
        Entry::Trusted(c) => weak_lines(label, c, true),
        Entry::PrivateKey { chain, .. } => chain
            .first()
            .map(|c| weak_lines(label, c, false))
            .unwrap_or_default(),
        Entry::Secret(_) => Vec::new(),
    }
}

/// keytool's `MMM d, yyyy` creation date.
fn medium_date(t: OffsetDateTime) -> String {
    use ccelab_emulators::clock::MONTH_ABBR as M;
    format!("{} {}, {}", M[t.month() as usize - 1], t.day(), t.year())
}

/// JDK 17's `jdk.security.legacyAlgorithms` (`SHA1, RSA keySize < 2048, …`):
/// keytool marks such keys and signature algorithms ` (weak)`.
fn weak(s: String, is_weak: bool) -> String {
    if is_weak {
        s + " (weak)"
    } else {
        s
    }
}

fn key_algorithm(c: &Certificate) -> String {
    weak(key_algorithm_plain(c), legacy_key(c))
}

fn key_algorithm_plain(c: &Certificate) -> String {
    match c.key_type() {
        Some(KeyType::EcP256) => "256-bit EC (secp256r1) key".into(),
        Some(KeyType::EcP384) => "384-bit EC (secp384r1) key".into(),
        Some(k) => format!("{}-bit RSA key", k.bits()),
        None => c
            .key_bits()
            .map(|b| format!("{b}-bit key"))
            .unwrap_or_else(|| "unknown key".into()),
    }
}

/// `trusted`: the certificate is a trustedCertEntry of the store listed;
/// keytool does not flag the signature algorithm of a trust anchor.
fn describe(c: &Certificate, trusted: bool) -> String {
    format!(
        "Owner: {}\nIssuer: {}\nSerial number: {}\nValid from: {} until: {}\nCertificate fingerprints:\n\t SHA1: {}\n\t SHA256: {}\nSignature algorithm name: {}\nSubject Public Key Algorithm: {}\nVersion: 3\n",
        c.subject_string(),
        c.issuer_string(),
        c.serial_hex(),
        java_date(c.not_before()),
        java_date(c.not_after()),
        c.sha1_fingerprint(),
        c.sha256_fingerprint(),
        weak(c.signature_algorithm_name(), !trusted && legacy_signature(c)),
        key_algorithm(c)
    )
}

fn list(a: ListArgs) -> CliResult {
    let ks = load(&a.file, &a.pass.storepass)?;
    let now = OffsetDateTime::now_utc();
    let mut entries: Vec<_> = ks.entries().iter().collect();
    // keytool sorts aliases
    entries.sort_by_key(|e| e.alias.to_lowercase());
    if let Some(al) = &a.alias {
        entries.retain(|e| e.alias.eq_ignore_ascii_case(al));
        if entries.is_empty() {
            return Err(Failure::file(&a.file, StoreError::AliasMissing(al.clone())));
        }
    }
    let mut out = String::new();
    if a.alias.is_none() {
        out.push_str(&format!(
            "Keystore type: {}\nKeystore provider: {}\n\nYour keystore contains {} entr{}\n\n",
            ks.store_type.keytool_name(),
            ks.store_type.keytool_provider(),
            ks.entries().len(),
            if ks.entries().len() == 1 { "y" } else { "ies" }
        ));
    }
    let is_trusted = |c: &Certificate| {
        ks.entries()
            .iter()
            .any(|e| matches!(&e.entry, Entry::Trusted(t) if t == c))
    };
    let mut weak = Vec::new();
    for e in entries {
        let alias = e.alias.to_lowercase();
        weak.extend(entry_weak_lines(&format!("<{alias}>"), &e.entry));
        let date = medium_date(e.created.unwrap_or(now));
        if a.short {
            out.push_str(&format!("{alias}, {date}, {}, \n", e.entry.keytool_kind()));
            if let Some(c) = e.entry.certificate() {
                out.push_str(&format!(
                    "Certificate fingerprint (SHA-256): {}\n",
                    c.sha256_fingerprint()
                ));
            }
            continue;
        }
        out.push_str(&format!(
            "Alias name: {alias}\nCreation date: {date}\nEntry type: {}\n",
            e.entry.keytool_kind()
        ));
        match &e.entry {
            Entry::Trusted(c) => {
                out.push('\n');
                out.push_str(&describe(c, true));
            }
            Entry::PrivateKey { chain, .. } => {
                out.push_str(&format!("Certificate chain length: {}\n", chain.len()));
                for (i, c) in chain.iter().enumerate() {
                    out.push_str(&format!("Certificate[{}]:\n", i + 1));
                    out.push_str(&describe(c, is_trusted(c)));
                    out.push('\n');
                }
            }
            Entry::Secret(_) => {}
        }
        out.push_str("\n\n*******************************************\n*******************************************\n\n\n");
    }
    {
        use std::io::Write as _;
        let _ = write!(std::io::stdout(), "{out}");
    }
    warnings(weak, &ks, &a.file);
    Ok(())
}

fn read_cert(path: &std::path::Path) -> Result<Certificate, Failure> {
    let bytes = read(path)?;
    let cert = match detect(&bytes) {
        Some(StoreType::Pem) => Certificate::all_from_pem(&String::from_utf8_lossy(&bytes))
            .map_err(|e| Failure::file(path, e))?
            .into_iter()
            .next(),
        Some(StoreType::Der) => Certificate::from_der(&bytes).ok(),
        _ => None,
    };
    cert.ok_or_else(|| Failure::file(path, StoreError::NotACertificate))
}

fn import(a: ImportArgs) -> CliResult {
    let cert = read_cert(&a.cert)?;
    let mut ks = if a.file.exists() {
        load(&a.file, &a.pass.storepass)?
    } else {
        let storetype = a
            .storetype
            .unwrap_or_else(|| a.java.keytool_default_store_type());
        if !storetype.has_password() {
            return Err(Failure::new(
                "--storetype",
                "import creates jks, jceks or pkcs12 stores",
            ));
        }
        Keystore::new(storetype)
    };
    let duplicate_of = ks
        .entries()
        .iter()
        .find(|e| e.entry.certificate() == Some(&cert))
        .map(|e| e.alias.clone());
    let weak = weak_lines("The input", &cert, false);
    ks.import_cert(&a.alias, cert, OffsetDateTime::now_utc())
        .map_err(|e| Failure::file(&a.file, e))?;
    if let Some(existing) = duplicate_of {
        // keytool -noprompt imports anyway; say so as keytool's prompt would
        eprintln!("Certificate already exists in keystore under alias <{existing}>");
    }
    ks.save(&a.file, &a.pass.storepass, None)
        .map_err(|e| Failure::file(&a.file, e))?;
    eprintln!("Certificate was added to keystore");
    warnings(weak, &ks, &a.file);
    Ok(())
}

fn export(a: ExportArgs) -> CliResult {
    let ks = load(&a.file, &a.pass.storepass)?;
    let e = ks
        .get(&a.alias)
        .ok_or_else(|| Failure::file(&a.file, StoreError::AliasMissing(a.alias.clone())))?;
    let c = e.entry.certificate().ok_or_else(|| {
        Failure::file(&a.file, format!("alias <{}> holds no certificate", a.alias))
    })?;
    let bytes = if a.der {
        c.der().to_vec()
    } else {
        ccelab_emulators::pki::pem::encode_java_rfc("CERTIFICATE", c.der()).into_bytes()
    };
    ccelab_emulators::stores::write_atomic(&a.out, &bytes).map_err(|e| Failure::file(&a.out, e))?;
    eprintln!("Certificate stored in file <{}>", a.out.display());
    warnings(entry_weak_lines("The certificate", &e.entry), &ks, &a.file);
    Ok(())
}

fn delete(a: DeleteArgs) -> CliResult {
    let mut ks = load(&a.file, &a.pass.storepass)?;
    ks.delete(&a.alias).map_err(|e| Failure::file(&a.file, e))?;
    ks.save(&a.file, &a.pass.storepass, None)
        .map_err(|e| Failure::file(&a.file, e))?;
    warnings(Vec::new(), &ks, &a.file);
    Ok(())
}

fn convert(a: ConvertArgs) -> CliResult {
    if a.output.exists() && !a.force {
        return Err(Failure::file(
            &a.output,
            "exists; give --force to replace it",
        ));
    }
    let mut ks = load(&a.input, &a.pass.storepass)?;
    let keypass = a
        .keypass
        .clone()
        .unwrap_or_else(|| a.pass.storepass.clone());
    let dest_pass = a
        .deststorepass
        .clone()
        .unwrap_or_else(|| a.pass.storepass.clone());
    if a.to != ks.store_type {
        ks.unlock_keys(&keypass)
            .map_err(|e| Failure::file(&a.input, e))?;
    }
    ks.store_type = a.to;
    ks.save(&a.output, &dest_pass, Some(&keypass))
        .map_err(|e| Failure::file(&a.output, e))?;
    let n = ks.entries().len();
    eprintln!(
        "{n} entr{} written to {} ({})",
        if n == 1 { "y" } else { "ies" },
        a.output.display(),
        a.to
    );
    Ok(())
}
