//! HTTPS on the web app (the lab's Task 8): a self-signed certificate made at
//! start, or the user's PEM files; TLS secrets in the key log; the pot leg
//! stays plaintext HTCPCP.
#![cfg(feature = "lab")]

mod lab_support;

use coffeeshark::lab::log::Log;
use coffeeshark::lab::tls::TlsConfig;
use coffeeshark::lab::webapp::{self, WebConfig, WebHandle};
use lab_support::*;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

async fn start_https(dir: &Path, pot: SocketAddr, tls: TlsConfig) -> WebHandle {
    let mut cfg = WebConfig::new(dir.to_path_buf());
    cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.pot = pot.to_string();
    cfg.tls = Some(tls);
    cfg.log = Log::off();
    webapp::start(cfg).await.expect("web app starts")
}

/// GET over TLS, trusting only `trusted` (PEM); returns (protocol, response text).
async fn https_get(
    addr: SocketAddr,
    name: &str,
    trusted: &str,
    target: &str,
) -> std::io::Result<(String, String)> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(trusted.as_bytes()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = TcpStream::connect(addr).await?;
    let server = ServerName::try_from(name.to_string()).unwrap();
    let work = async {
        let mut tls = connector.connect(server, tcp).await?;
        let version = format!("{:?}", tls.get_ref().1.protocol_version().unwrap());
        tls.write_all(
            format!("GET {target} HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await?;
        let mut out = Vec::new();
        // The server closes after the response; a missing close_notify is not our concern here.
        let _ = tls.read_to_end(&mut out).await;
        Ok((version, String::from_utf8_lossy(&out).into_owned()))
    };
    tokio::time::timeout(Duration::from_secs(20), work)
        .await
        .expect("in time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn self_signed_https_with_key_log() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), Duration::from_secs(60), Duration::from_secs(10)).await;
    let keys = dir.path().join("keys.log");
    let web = start_https(
        dir.path(),
        pot.addr(),
        TlsConfig {
            key_log: Some(keys.clone()),
            ..TlsConfig::default()
        },
    )
    .await;
    let cert = web
        .certificate_pem()
        .expect("a certificate was made")
        .to_string();
    assert!(cert.starts_with("-----BEGIN CERTIFICATE-----"));

    // Trusting the certificate, for both names it carries.
    for name in ["localhost", "127.0.0.1"] {
        let (version, resp) = https_get(web.addr(), name, &cert, "/").await.unwrap();
        assert_eq!(version, "TLSv1_3");
        assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
        assert!(resp.contains("Welcome to Ducky"));
    }
    let (_, resp) = https_get(
        web.addr(),
        "localhost",
        &cert,
        "/?method=brew&message=start&pots=tea",
    )
    .await
    .unwrap();
    assert!(resp.starts_with("HTTP/1.1 418 "), "{resp}");

    // A browser that does not trust it refuses (the lab's warning).
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .unwrap()
        .cert
        .pem();
    let refused = https_get(web.addr(), "localhost", &other, "/").await;
    assert!(
        refused.is_err(),
        "an untrusted self-signed certificate must fail verification"
    );
    // Plain HTTP to the HTTPS port gets no page, and the server lives on.
    let mut s = TcpStream::connect(web.addr()).await.unwrap();
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    assert!(!String::from_utf8_lossy(&out).contains("Ducky"));
    assert!(https_get(web.addr(), "localhost", &cert, "/log")
        .await
        .unwrap()
        .1
        .contains("CoffeePot Log"));

    // The key log has the TLS 1.3 secrets of every handshake, NSS format.
    let log = std::fs::read_to_string(&keys).unwrap();
    for label in [
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET",
        "SERVER_HANDSHAKE_TRAFFIC_SECRET",
        "CLIENT_TRAFFIC_SECRET_0",
        "SERVER_TRAFFIC_SECRET_0",
    ] {
        let lines: Vec<&str> = log
            .lines()
            .filter(|l| l.starts_with(&format!("{label} ")))
            .collect();
        assert!(lines.len() >= 4, "{label}: {log}");
        for l in lines {
            let parts: Vec<&str> = l.split(' ').collect();
            assert_eq!(parts.len(), 3);
            assert_eq!(parts[1].len(), 64, "32-byte client random");
            assert!(parts[2].len() >= 64 && parts[2].bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
    web.shutdown().await.unwrap();
    pot.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_certificate_and_key_files() {
    let dir = tempfile::tempdir().unwrap();
    let pot = start_pot(dir.path(), Duration::from_secs(60), Duration::from_secs(10)).await;
    let made = rcgen::generate_simple_self_signed(vec!["ducky.test".to_string()]).unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, made.cert.pem()).unwrap();
    std::fs::write(&key_path, made.signing_key.serialize_pem()).unwrap();
    let web = start_https(
        dir.path(),
        pot.addr(),
        TlsConfig {
            cert: Some(cert_path.clone()),
            key: Some(key_path),
            key_log: None,
        },
    )
    .await;
    assert_eq!(web.certificate_pem(), Some(made.cert.pem().as_str()));
    let (_, resp) = https_get(
        web.addr(),
        "ducky.test",
        &made.cert.pem(),
        "/assets/robots.txt",
    )
    .await
    .unwrap();
    assert!(
        resp.starts_with("HTTP/1.1 200 OK\r\n") && resp.contains("User-agent: *"),
        "{resp}"
    );
    web.shutdown().await.unwrap();

    // A key that does not belong to the certificate is refused at start.
    let other = rcgen::generate_simple_self_signed(vec!["x".to_string()]).unwrap();
    let wrong_key = dir.path().join("wrong.pem");
    std::fs::write(&wrong_key, other.signing_key.serialize_pem()).unwrap();
    let mut cfg = WebConfig::new(dir.path().to_path_buf());
    cfg.addr = SocketAddr::from(([127, 0, 0, 1], 0));
    cfg.tls = Some(TlsConfig {
        cert: Some(cert_path),
        key: Some(wrong_key),
        key_log: None,
    });
    assert!(webapp::start(cfg).await.is_err());
    pot.shutdown().await.unwrap();
}
