//! HTTPS for the web app (the lab's Task 8): rustls with the ring provider,
//! a throw-away self-signed certificate made at start (rcgen) for
//! `localhost`, `127.0.0.1` and `::1`, or the user's `cert.pem`/`key.pem`
//! (e.g. from `openssl req -x509 -newkey rsa:4096 -nodes ...`). TLS secrets
//! go to a key log file in the NSS format (`SSLKEYLOGFILE`) so that captures
//! can be decrypted later.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use tokio_rustls::TlsAcceptor;

/// What HTTPS uses.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// PEM certificate chain; with `key`. Without both, a self-signed one is made.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// Where to append TLS secrets (NSS key log format), e.g. `$SSLKEYLOGFILE`.
    pub key_log: Option<PathBuf>,
}

/// A ready acceptor and the certificate it presents (PEM).
pub struct Tls {
    pub acceptor: TlsAcceptor,
    pub cert_pem: String,
    pub self_signed: bool,
}

/// Appends `LABEL <client_random hex> <secret hex>` lines, as browsers do.
struct KeyLogFile {
    file: Mutex<File>,
}

impl std::fmt::Debug for KeyLogFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KeyLogFile")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

fn invalid(msg: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, msg)
}

fn load(
    cert: &Path,
    key: &Path,
) -> io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, String)> {
    let pem = std::fs::read_to_string(cert)?;
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(format!("{}: {e}", cert.display())))?;
    if certs.is_empty() {
        return Err(invalid(format!("{}: no certificate in it", cert.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| invalid(format!("{}: {e}", key.display())))?;
    Ok((certs, key, pem))
}

fn self_signed() -> io::Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>, String)> {
    let names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    let made = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    let cert_pem = made.cert.pem();
    let key_der = PrivateKeyDer::try_from(made.signing_key.serialize_der())
        .map_err(|e| invalid(e.to_string()))?;
    Ok((vec![made.cert.der().clone()], key_der, cert_pem))
}

/// Builds the acceptor (TLS 1.2 and 1.3, ALPN `http/1.1`).
pub fn setup(cfg: &TlsConfig) -> io::Result<Tls> {
    let (certs, key, cert_pem, self_signed) = match (&cfg.cert, &cfg.key) {
        (Some(c), Some(k)) => {
            let (certs, key, pem) = load(c, k)?;
            (certs, key, pem, false)
        }
        (None, None) => {
            let (certs, key, pem) = self_signed()?;
            (certs, key, pem, true)
        }
        _ => return Err(invalid("--cert and --key go together".into())),
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| invalid(format!("certificate and key do not fit: {e}")))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if let Some(path) = &cfg.key_log {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        config.key_log = Arc::new(KeyLogFile {
            file: Mutex::new(file),
        });
    }
    Ok(Tls {
        acceptor: TlsAcceptor::from(Arc::new(config)),
        cert_pem,
        self_signed,
    })
}
