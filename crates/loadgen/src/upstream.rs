//! `scopegate-loadgen upstream`: a local HTTPS server standing in for a
//! provider in benchmarks. It answers every POST with a small GraphQL
//! result, every GET with a small JSON body that also says what
//! scopegate's GitHub reads look for (an unprotected branch of a
//! repository whose default branch is `main`), every other request with a
//! smaller one, and
//! `/stream/{bytes}` or `?bytes=N` with that many bytes (for MB/s). Its certificate names
//! the provider hosts and is signed by a CA written to `--ca-out`, which
//! the proxy (or a direct client) is told to trust.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

pub async fn run(listen: SocketAddr, hosts: Vec<String>, ca_out: &str) -> anyhow::Result<()> {
    let ca_key = rcgen::KeyPair::generate()?;
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "scopegate bench upstream CA");
    let ca_cert = ca_params.self_signed(&ca_key)?;
    std::fs::write(ca_out, ca_cert.pem())?;
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate()?;
    let leaf = rcgen::CertificateParams::new(hosts)?.signed_by(&leaf_key, &issuer)?;
    let mut config = rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(
            vec![leaf.der().clone()],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der())),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    eprintln!(
        "upstream listening on {} (CA: {ca_out})",
        listener.local_addr()?
    );
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let Ok(tls) = acceptor.accept(tcp).await else {
                return;
            };
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(tls), service_fn(answer))
                .await;
        });
    }
}

async fn answer(req: http::Request<Incoming>) -> Result<http::Response<Body>, Infallible> {
    let path = req.uri().path().to_owned();
    // `/stream/{bytes}`, or `?bytes=N` on any path (so the proxy can stream
    // a route it allows, e.g. a GitHub tarball download).
    let asked = req
        .uri()
        .query()
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|kv| kv.strip_prefix("bytes="))
        .or_else(|| path.strip_prefix("/stream/"))
        .and_then(|n| n.parse::<usize>().ok());
    let method = req.method().clone();
    let _ = req.into_body().collect().await;
    if let Some(n) = asked {
        const CHUNK: usize = 64 << 10;
        let chunks = (0..n.div_ceil(CHUNK)).map(move |i| {
            let len = CHUNK.min(n - i * CHUNK);
            Ok::<_, Infallible>(Frame::data(Bytes::from(vec![b'x'; len])))
        });
        let body = StreamBody::new(futures_util::stream::iter(chunks));
        return Ok(http::Response::new(body.boxed()));
    }
    let text: &'static str = match method {
        http::Method::POST => r#"{"data":{"ok":true}}"#,
        http::Method::GET => r#"{"ok":true,"protected":false,"default_branch":"main"}"#,
        _ => r#"{"ok":true}"#,
    };
    let mut resp = http::Response::new(Full::new(Bytes::from_static(text.as_bytes())).boxed());
    resp.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}
