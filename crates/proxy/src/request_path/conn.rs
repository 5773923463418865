//! The client connection a request arrived on.

use std::net::SocketAddr;

/// What every request on one client connection shares.
#[derive(Debug)]
pub struct Conn {
    /// Canonical host the client asked for (CONNECT authority).
    pub host: String,
    pub port: u16,
    pub agent: Option<String>,
    pub peer: SocketAddr,
    /// Scheme towards the upstream.
    pub scheme: &'static str,
}
