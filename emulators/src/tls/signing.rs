//! Server keys for rustls. rustls (on aws-lc) refuses RSA keys under 2048
//! bits, but [SEC] creates exactly those (`keytool -genkeypair -keysize 1024`
//! for the AW `tomcatCert`, the CVP `wsm_certificate`; F24) and Java 17
//! accepts them, so RSA-1024 keys sign here through the `rsa` crate:
//! RSA-PSS (TLS 1.3, and TLS 1.2 when offered) or PKCS#1 v1.5 (TLS 1.2).

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{SignatureAlgorithm, SignatureScheme};

use crate::pki::{Certificate, KeyPair};

/// An RSA key of any size, signing through the `rsa` crate.
#[derive(Debug)]
struct SmallRsaKey(rsa::RsaPrivateKey);

const SCHEMES: [SignatureScheme; 6] = [
    SignatureScheme::RSA_PSS_SHA256,
    SignatureScheme::RSA_PSS_SHA384,
    SignatureScheme::RSA_PSS_SHA512,
    SignatureScheme::RSA_PKCS1_SHA256,
    SignatureScheme::RSA_PKCS1_SHA384,
    SignatureScheme::RSA_PKCS1_SHA512,
];

impl SigningKey for SmallRsaKey {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        SCHEMES.iter().find(|s| offered.contains(s)).map(|&scheme| {
            Box::new(SmallRsaSigner {
                key: self.0.clone(),
                scheme,
            }) as Box<dyn Signer>
        })
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

#[derive(Debug)]
struct SmallRsaSigner {
    key: rsa::RsaPrivateKey,
    scheme: SignatureScheme,
}

impl Signer for SmallRsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        use signature::{RandomizedSigner, SignatureEncoding, Signer as _};
        let k = self.key.clone();
        let mut rng = rand::thread_rng();
        let out = match self.scheme {
            SignatureScheme::RSA_PSS_SHA256 => rsa::pss::BlindedSigningKey::<sha2::Sha256>::new(k)
                .sign_with_rng(&mut rng, message)
                .to_vec(),
            SignatureScheme::RSA_PSS_SHA384 => rsa::pss::BlindedSigningKey::<sha2::Sha384>::new(k)
                .sign_with_rng(&mut rng, message)
                .to_vec(),
            SignatureScheme::RSA_PSS_SHA512 => rsa::pss::BlindedSigningKey::<sha2::Sha512>::new(k)
                .sign_with_rng(&mut rng, message)
                .to_vec(),
            SignatureScheme::RSA_PKCS1_SHA256 => rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(k)
                .sign(message)
                .to_vec(),
            SignatureScheme::RSA_PKCS1_SHA384 => rsa::pkcs1v15::SigningKey::<sha2::Sha384>::new(k)
                .sign(message)
                .to_vec(),
            SignatureScheme::RSA_PKCS1_SHA512 => rsa::pkcs1v15::SigningKey::<sha2::Sha512>::new(k)
                .sign(message)
                .to_vec(),
            other => {
                return Err(rustls::Error::General(format!(
                    "unsupported scheme {other:?}"
                )))
            }
        };
        Ok(out)
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// The chain and key a binding serves, as rustls needs them.
pub fn certified_key(
    chain: &[Certificate],
    key: &KeyPair,
) -> Result<Arc<CertifiedKey>, rustls::Error> {
    let certs: Vec<CertificateDer<'static>> = chain
        .iter()
        .map(|c| CertificateDer::from(c.der().to_vec()))
        .collect();
    let small_rsa = key.key_type().rsa_bits().is_some_and(|b| b < 2048);
    let signing: Arc<dyn SigningKey> = if small_rsa {
        use pkcs8::DecodePrivateKey;
        let k = rsa::RsaPrivateKey::from_pkcs8_der(key.pkcs8_der())
            .map_err(|e| rustls::Error::General(format!("bad RSA key: {e}")))?;
        Arc::new(SmallRsaKey(k))
    } else {
        let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.pkcs8_der().to_vec()));
        rustls::crypto::aws_lc_rs::sign::any_supported_type(&der)?
    };
    Ok(Arc::new(CertifiedKey::new(certs, signing)))
}
