//! Real TLS on loopback: a certificate authority made in the test ([`Ca`]), and a TLS front
//! ([`TlsFront`]) that serves a plain-http [`super::Mirror`] over https with a certificate
//! from that CA, optionally demanding HTTP basic authentication, and counts its connections
//! and what credentials each request carried.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// A certificate authority that exists only in this test.
pub struct Ca {
    issuer: Issuer<'static, KeyPair>,
    /// The CA certificate, PEM.
    pub pem: String,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// Writes the CA certificate to `dir/name` and returns the path.
    pub fn write(&self, dir: &Path, name: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, &self.pem).unwrap();
        path
    }

    /// A server certificate for `names` (host names or IP addresses), and its key; `expired`
    /// makes it one that ran out in 2001.
    fn server_cert(
        &self,
        names: &[&str],
        expired: bool,
    ) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        (
            cert.der().clone(),
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
    }
}

/// What the front saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub path: String,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

/// An https server on 127.0.0.1 in front of a plain-http backend.
pub struct TlsFront {
    /// `https://127.0.0.1:<port>`
    pub base: String,
    connections: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<Seen>>>,
}

impl TlsFront {
    /// Serves `backend` (a `http://127.0.0.1:<port>` base) over TLS with a certificate for
    /// 127.0.0.1 signed by `ca`. With `login`, a request without those basic-auth
    /// credentials gets 401.
    pub fn start(ca: &Ca, backend: &str, login: Option<(&str, &str)>) -> TlsFront {
        Self::start_for(ca, &["127.0.0.1"], backend, login)
    }

    /// The same, with a certificate for 127.0.0.1 that expired long ago.
    pub fn start_expired(ca: &Ca, backend: &str) -> TlsFront {
        Self::serve_with(ca.server_cert(&["127.0.0.1"], true), backend, None)
    }

    /// The same, with a certificate for `names`.
    pub fn start_for(
        ca: &Ca,
        names: &[&str],
        backend: &str,
        login: Option<(&str, &str)>,
    ) -> TlsFront {
        Self::serve_with(ca.server_cert(names, false), backend, login)
    }

    fn serve_with(
        (cert, key): (CertificateDer<'static>, PrivateKeyDer<'static>),
        backend: &str,
        login: Option<(&str, &str)>,
    ) -> TlsFront {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("https://{}", listener.local_addr().unwrap());
        let backend = backend
            .strip_prefix("http://")
            .expect("a plain-http backend")
            .to_string();
        let expected = login.map(|(user, password)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )
        });
        let connections: Arc<AtomicUsize> = Arc::default();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let (c, s) = (Arc::clone(&connections), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let (config, backend, expected, s) = (
                    Arc::clone(&config),
                    backend.clone(),
                    expected.clone(),
                    Arc::clone(&s),
                );
                std::thread::spawn(move || {
                    let Ok(conn) = rustls::ServerConnection::new(config) else {
                        return;
                    };
                    let tls = rustls::StreamOwned::new(conn, stream);
                    let _ = serve(tls, &backend, expected.as_deref(), &s);
                });
            }
        });
        TlsFront {
            base,
            connections,
            seen,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// TCP connections accepted so far (a refused handshake counts: it is a try).
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Every request that got through the handshake, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

/// Reads one request, checks its credentials, and relays it to the backend (whose answers
/// close the connection, so one request per connection).
fn serve(
    mut tls: rustls::StreamOwned<rustls::ServerConnection, TcpStream>,
    backend: &str,
    expected: Option<&str>,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(&mut tls);
    let (request_line, authorization) = read_head(&mut reader, "authorization")?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_string();
    seen.lock().unwrap().push(Seen {
        path: path.clone(),
        authorization: authorization.clone(),
    });
    if let Some(expected) = expected
        && authorization.as_deref() != Some(expected)
    {
        tls.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"test\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        tls.conn.send_close_notify();
        return tls.flush();
    }
    let mut upstream = TcpStream::connect(backend)?;
    write!(
        upstream,
        "GET {path} HTTP/1.1\r\nHost: {backend}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer)?;
    tls.write_all(&answer)?;
    tls.conn.send_close_notify();
    tls.flush()
}

/// An HTTP proxy on 127.0.0.1 that opens CONNECT tunnels (as `HTTPS_PROXY` uses them),
/// optionally demanding `Proxy-Authorization`, and counts the tunnels it opened.
pub struct ConnectProxy {
    /// `127.0.0.1:<port>`
    pub addr: String,
    tunnels: Arc<AtomicUsize>,
    /// The `Proxy-Authorization` of every CONNECT, in order.
    seen: Arc<Mutex<Vec<Option<String>>>>,
}

impl ConnectProxy {
    pub fn start(login: Option<(&str, &str)>) -> ConnectProxy {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let expected = login.map(|(user, password)| {
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
            )
        });
        let tunnels: Arc<AtomicUsize> = Arc::default();
        let seen: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
        let (t, s) = (Arc::clone(&tunnels), Arc::clone(&seen));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (t, s, expected) = (Arc::clone(&t), Arc::clone(&s), expected.clone());
                std::thread::spawn(move || {
                    let _ = tunnel(stream, expected.as_deref(), &t, &s);
                });
            }
        });
        ConnectProxy {
            addr,
            tunnels,
            seen,
        }
    }

    pub fn tunnels(&self) -> usize {
        self.tunnels.load(Ordering::SeqCst)
    }

    pub fn seen(&self) -> Vec<Option<String>> {
        self.seen.lock().unwrap().clone()
    }
}

fn tunnel(
    mut client: TcpStream,
    expected: Option<&str>,
    tunnels: &AtomicUsize,
    seen: &Mutex<Vec<Option<String>>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let (request_line, authorization) = read_head(&mut reader, "proxy-authorization")?;
    seen.lock().unwrap().push(authorization.clone());
    let mut words = request_line.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        return client
            .write_all(b"HTTP/1.1 405 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    };
    if let Some(expected) = expected
        && authorization.as_deref() != Some(expected)
    {
        return client.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        );
    }
    let upstream = TcpStream::connect(target)?;
    tunnels.fetch_add(1, Ordering::SeqCst);
    client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
    let (mut up_read, mut up_write) = (upstream.try_clone()?, upstream);
    let mut client_write = client.try_clone()?;
    // Whatever the client sent past the CONNECT head is already in the reader's buffer.
    let buffered = reader.buffer().to_vec();
    up_write.write_all(&buffered)?;
    let mut client_read = reader.into_inner();
    let forward = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_read, &mut up_write);
        let _ = up_write.shutdown(std::net::Shutdown::Write);
    });
    let _ = std::io::copy(&mut up_read, &mut client_write);
    let _ = client_write.shutdown(std::net::Shutdown::Write);
    let _ = forward.join();
    Ok(())
}

/// Reads a request's head: its request line, and the value of the header `wanted` (any case).
fn read_head(reader: &mut impl BufRead, wanted: &str) -> std::io::Result<(String, Option<String>)> {
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut value_of = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header == "\r\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case(wanted)
        {
            value_of = Some(value.trim().to_string());
        }
    }
    Ok((request_line, value_of))
}
