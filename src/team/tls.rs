//! TLS for the team store through rustls (pure Rust, the `ring` provider: no OpenSSL, so the
//! Python wheel stays portable; docs/decisions.md, "Dependencies"), with libpq's `sslmode`
//! meanings (docs/postgres.md, "TLS"):
//!
//! - `disable`: plain TCP;
//! - `prefer`, `require`: encrypted, the certificate not verified (libpq without a root
//!   certificate file) — protects against eavesdropping, not against an impostor;
//! - `verify-ca`: the chain verified against the root certificates, any host name;
//! - `verify-full`: the chain verified and the certificate naming the host.
//!
//! Root certificates: `sslrootcert=FILE` (PEM), `sslrootcert=system` (the Mozilla roots bundled
//! by `webpki-roots`), else `~/.postgresql/root.crt` as libpq reads it.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use super::url::{PgUrl, SslMode};
use crate::error::TeamErrorKind;

/// The `ring` provider. rustls marks it deprecated because ring has no post-quantum key
/// exchange; aws-lc-rs has one but needs a C and CMake build, which the wheel and a plain
/// `cargo install` should not (docs/decisions.md, "Dependencies").
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The rustls client configuration for `url`'s `sslmode` (`None` for `disable`).
pub(crate) fn client_config(url: &PgUrl) -> Result<Option<ClientConfig>, TeamErrorKind> {
    let provider = provider();
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| TeamErrorKind::RootCertificates {
            mode: url.sslmode.as_str(),
            path: "(rustls)".into(),
            why: e.to_string(),
        })?;
    let verifier: Arc<dyn ServerCertVerifier> = match url.sslmode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => Arc::new(Unverified {
            algorithms: provider.signature_verification_algorithms,
        }),
        SslMode::VerifyCa | SslMode::VerifyFull => {
            let roots = Arc::new(root_store(url)?);
            let inner = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| TeamErrorKind::RootCertificates {
                    mode: url.sslmode.as_str(),
                    path: root_path(url).display().to_string(),
                    why: e.to_string(),
                })?;
            if url.sslmode == SslMode::VerifyFull {
                inner
            } else {
                Arc::new(AnyName { inner })
            }
        }
    };
    Ok(Some(
        builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth(),
    ))
}

/// Where the root certificates are read from.
fn root_path(url: &PgUrl) -> PathBuf {
    match &url.sslrootcert {
        Some(path) => PathBuf::from(path),
        None => std::env::var_os("HOME")
            .map(PathBuf::from)
            .unwrap_or_default()
            .join(".postgresql/root.crt"),
    }
}

fn root_store(url: &PgUrl) -> Result<RootCertStore, TeamErrorKind> {
    if url.sslrootcert.as_deref() == Some("system") {
        return Ok(RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
    }
    let path = root_path(url);
    let fail = |why: String| TeamErrorKind::RootCertificates {
        mode: url.sslmode.as_str(),
        path: path.display().to_string(),
        why,
    };
    let bytes = crate::fsutil::read_regular(&path).map_err(|e| fail(e.to_string()))?;
    let mut store = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&bytes) {
        let cert = cert.map_err(|e| fail(format!("not a PEM certificate file ({e})")))?;
        store
            .add(cert)
            .map_err(|e| fail(format!("a certificate is unusable ({e})")))?;
    }
    if store.is_empty() {
        return Err(fail("no certificate in the file".into()));
    }
    Ok(store)
}

/// `prefer` and `require`: any certificate is accepted (libpq's behaviour without a root
/// certificate), but the handshake's signatures are still checked.
#[derive(Debug)]
struct Unverified {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Unverified {
    fn verify_server_cert(
        &self,
        _: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        _: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// `verify-ca`: the chain must verify; a certificate for another name is accepted.
#[derive(Debug)]
struct AnyName {
    inner: Arc<WebPkiServerVerifier>,
}

impl ServerCertVerifier for AnyName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .inner
            .verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
        {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::NotValidForName
                | rustls::CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> PgUrl {
        PgUrl::parse(text).expect("a valid URL")
    }

    #[test]
    fn each_sslmode_gets_its_configuration() {
        assert!(
            client_config(&url("postgres://u@h/d?sslmode=disable"))
                .unwrap()
                .is_none()
        );
        for mode in ["prefer", "require"] {
            assert!(
                client_config(&url(&format!("postgres://u@h/d?sslmode={mode}")))
                    .unwrap()
                    .is_some()
            );
        }
        let system = url("postgres://u@h/d?sslmode=verify-full&sslrootcert=system");
        assert!(client_config(&system).unwrap().is_some());
    }

    #[test]
    fn missing_or_bad_root_certificates_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("none.crt");
        let text = format!(
            "postgres://u@h/d?sslmode=verify-ca&sslrootcert={}",
            missing.display()
        );
        let err = client_config(&url(&text)).unwrap_err();
        assert!(err.to_string().contains("none.crt"), "{err}");
        let junk = dir.path().join("junk.crt");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let text = format!(
            "postgres://u@h/d?sslmode=verify-full&sslrootcert={}",
            junk.display()
        );
        let err = client_config(&url(&text)).unwrap_err();
        assert!(err.to_string().contains("no certificate"), "{err}");
    }
}
