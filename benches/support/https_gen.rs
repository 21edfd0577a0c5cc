//! Generated HTTPS traffic with its key log, and the same HTTP in clear
//! (`examples/gen_https_capture.rs`, `benches/tls_decrypt.sh`,
//! `tests/tls_decrypt.rs`): real rustls TLS 1.3 sessions in memory, their
//! TLS bytes framed as loopback TCP segments.

use etherparse::PacketBuilder;
use pcap_file::pcapng::blocks::enhanced_packet::EnhancedPacketBlock;
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::DataLink;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::borrow::Cow;
use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SEGMENT: usize = 16 * 1024;

#[derive(Debug, Default)]
struct Keys(Mutex<String>);

impl rustls::KeyLog for Keys {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        if let Ok(mut s) = self.0.lock() {
            s.push_str(&format!("{label} {} {}\n", hex(client_random), hex(secret)));
        }
    }
}

/// One TCP connection's frames, written as they are built.
struct Conn<'w> {
    out: &'w mut PcapNgWriter<BufWriter<File>>,
    ports: [u16; 2],
    next: [u32; 2],
    ts: &'w mut u64,
}

impl Conn<'_> {
    fn segment(&mut self, from_client: bool, flags: u8, payload: &[u8]) {
        let me = usize::from(!from_client);
        let (seq, ack) = (self.next[me], self.next[1 - me]);
        let mut b = PacketBuilder::ethernet2([0; 6], [0; 6])
            .ipv4([127, 0, 0, 1], [127, 0, 0, 1], 64)
            .tcp(self.ports[me], self.ports[1 - me], seq, 65535);
        if flags & 2 != 0 {
            b = b.syn();
        }
        if flags & 0x10 != 0 {
            b = b.ack(ack);
        }
        if flags & 1 != 0 {
            b = b.fin();
        }
        if flags & 8 != 0 {
            b = b.psh();
        }
        let mut frame = Vec::with_capacity(payload.len() + 64);
        b.write(&mut frame, payload).expect("frame");
        self.next[me] = seq
            .wrapping_add(payload.len() as u32)
            .wrapping_add(u32::from(flags & 3 != 0));
        *self.ts += 20_000;
        self.out
            .write_pcapng_block(EnhancedPacketBlock {
                interface_id: 0,
                timestamp: Duration::from_nanos(*self.ts),
                original_len: frame.len() as u32,
                data: Cow::Owned(frame),
                options: Vec::new(),
            })
            .expect("write");
    }

    fn open(&mut self) {
        self.segment(true, 2, &[]);
        self.segment(false, 0x12, &[]);
        self.segment(true, 0x10, &[]);
    }

    fn data(&mut self, from_client: bool, bytes: &[u8]) {
        for piece in bytes.chunks(SEGMENT) {
            self.segment(from_client, 0x18, piece);
        }
        self.segment(!from_client, 0x10, &[]);
    }

    fn close(&mut self) {
        self.segment(false, 0x11, &[]);
        self.segment(true, 0x11, &[]);
        self.segment(false, 0x10, &[]);
    }
}

fn writer(path: &PathBuf) -> PcapNgWriter<BufWriter<File>> {
    let file = BufWriter::new(File::create(path).expect("create"));
    let mut w = PcapNgWriter::new(file).expect("pcapng");
    w.write_pcapng_block(InterfaceDescriptionBlock {
        linktype: DataLink::ETHERNET,
        snaplen: 262_144,
        options: vec![
            InterfaceDescriptionOption::IfName(Cow::Borrowed("lo")),
            InterfaceDescriptionOption::IfTsResol(9),
        ],
    })
    .expect("idb");
    w
}

/// Moves every pending TLS byte between the two ends; the flights, in
/// order (true: from the client).
fn pump(
    client: &mut rustls::ClientConnection,
    server: &mut rustls::ServerConnection,
    flights: &mut Vec<(bool, Vec<u8>)>,
) {
    loop {
        let mut moved = false;
        let mut c2s = Vec::new();
        while client.wants_write() {
            client.write_tls(&mut c2s).expect("client write");
        }
        if !c2s.is_empty() {
            let mut rd = &c2s[..];
            while !rd.is_empty() {
                server.read_tls(&mut rd).expect("server read");
                server.process_new_packets().expect("server");
            }
            flights.push((true, c2s));
            moved = true;
        }
        let mut s2c = Vec::new();
        while server.wants_write() {
            server.write_tls(&mut s2c).expect("server write");
        }
        if !s2c.is_empty() {
            let mut rd = &s2c[..];
            while !rd.is_empty() {
                client.read_tls(&mut rd).expect("client read");
                client.process_new_packets().expect("client");
                // The response is not kept: drained as it comes (WouldBlock
                // when nothing is left).
                let mut drained = Vec::new();
                let _ = client.reader().read_to_end(&mut drained);
            }
            flights.push((false, s2c));
            moved = true;
        }
        if !moved {
            return;
        }
    }
}

/// Writes `dir/https.pcapng`, `dir/https.keys` and `dir/clear.pcapng` with
/// `connections` connections of `requests` exchanges each (see
/// `examples/gen_https_capture.rs`).
pub fn write(dir: &Path, connections: u32, requests: u32) {
    std::fs::create_dir_all(dir).expect("out dir");

    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).expect("cert");
    let cert: CertificateDer<'static> = made.cert.der().clone();
    let key = PrivateKeyDer::try_from(made.signing_key.serialize_der()).expect("key");
    let keys = Arc::new(Keys::default());
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.clone()).expect("root");
    let suites = [
        rustls::crypto::ring::cipher_suite::TLS13_AES_256_GCM_SHA384,
        rustls::crypto::ring::cipher_suite::TLS13_AES_128_GCM_SHA256,
        rustls::crypto::ring::cipher_suite::TLS13_CHACHA20_POLY1305_SHA256,
    ];
    let mut server_cfg = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .expect("server config");
    server_cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    // One session per connection, as the lab's browser makes them.
    server_cfg.send_tls13_tickets = 0;
    let server_cfg = Arc::new(server_cfg);
    let client_cfgs: Vec<Arc<rustls::ClientConfig>> = suites
        .iter()
        .map(|s| {
            let mut provider = rustls::crypto::ring::default_provider();
            provider.cipher_suites = vec![*s];
            let mut c = rustls::ClientConfig::builder_with_provider(Arc::new(provider))
                .with_protocol_versions(&[&rustls::version::TLS13])
                .expect("versions")
                .with_root_certificates(roots.clone())
                .with_no_client_auth();
            c.alpn_protocols = vec![b"http/1.1".to_vec()];
            c.key_log = keys.clone();
            c.resumption = rustls::client::Resumption::disabled();
            Arc::new(c)
        })
        .collect();

    let mut tls_out = writer(&dir.join("https.pcapng"));
    let mut clear_out = writer(&dir.join("clear.pcapng"));
    let (mut tls_ts, mut clear_ts) = (1_795_000_000_000_000_000u64, 1_795_000_000_000_000_000u64);
    for i in 0..connections {
        // (request, response) of each exchange on this connection.
        let exchanges: Vec<(String, Vec<u8>)> = (0..requests)
            .map(|r| {
                let n = i as usize * requests as usize + r as usize;
                let body_len = 200 + (n * 7919) % 24_000;
                let request = format!("GET /page/{n} HTTP/1.1\r\nHost: localhost:5031\r\n\r\n");
                let body: Vec<u8> = (0..body_len).map(|j| b"coffee "[j % 7]).collect();
                let mut response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {body_len}\r\n\r\n"
                )
                .into_bytes();
                response.extend_from_slice(&body);
                (request, response)
            })
            .collect();

        let cfg = client_cfgs[i as usize % client_cfgs.len()].clone();
        let mut client =
            rustls::ClientConnection::new(cfg, "localhost".try_into().expect("name")).expect("c");
        let mut server = rustls::ServerConnection::new(server_cfg.clone()).expect("s");
        let mut flights = Vec::new();
        pump(&mut client, &mut server, &mut flights);
        for (request, response) in &exchanges {
            client
                .writer()
                .write_all(request.as_bytes())
                .expect("request");
            pump(&mut client, &mut server, &mut flights);
            let mut got = vec![0u8; request.len()];
            server.reader().read_exact(&mut got).expect("request read");
            server.writer().write_all(response).expect("response");
            pump(&mut client, &mut server, &mut flights);
        }
        client.send_close_notify();
        server.send_close_notify();
        pump(&mut client, &mut server, &mut flights);

        let ports = [20_000 + (i % 40_000) as u16, 5031];
        let mut c = Conn {
            out: &mut tls_out,
            ports,
            next: [1_000 + i, 5_000_000 + i],
            ts: &mut tls_ts,
        };
        c.open();
        for (from_client, bytes) in &flights {
            c.data(*from_client, bytes);
        }
        c.close();
        let mut c = Conn {
            out: &mut clear_out,
            ports,
            next: [1_000 + i, 5_000_000 + i],
            ts: &mut clear_ts,
        };
        c.open();
        for (request, response) in &exchanges {
            c.data(true, request.as_bytes());
            c.data(false, response);
        }
        c.close();
    }
    for w in [tls_out, clear_out] {
        w.into_inner().flush().expect("flush");
    }
    std::fs::write(
        dir.join("https.keys"),
        keys.0.lock().expect("keys").as_bytes(),
    )
    .expect("keys");
}
