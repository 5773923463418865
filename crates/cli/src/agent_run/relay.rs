//! The isolated command's only way out: TCP inside its network namespace,
//! relayed over a Unix socket (which a namespace does not cut) to
//! scopegate's proxy outside. Threads: an agent opens few connections.

use std::io;
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;

/// Outside: each connection on `listener` is relayed to the proxy.
pub fn unix_to_proxy(listener: UnixListener, proxy: SocketAddr) {
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(unix) = conn else { continue };
            std::thread::spawn(move || {
                if let Ok(tcp) = TcpStream::connect(proxy) {
                    splice(unix, tcp);
                }
            });
        }
    });
}

/// Inside: each connection on `listener` is relayed to the Unix socket.
pub fn tcp_to_unix(listener: TcpListener, relay: PathBuf) {
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(tcp) = conn else { continue };
            let relay = relay.clone();
            std::thread::spawn(move || {
                if let Ok(unix) = UnixStream::connect(&relay) {
                    splice(unix, tcp);
                }
            });
        }
    });
}

/// Copies both ways until each side ends, passing on half-closes.
fn splice(unix: UnixStream, tcp: TcpStream) {
    let (Ok(mut unix_in), Ok(mut tcp_out)) = (unix.try_clone(), tcp.try_clone()) else {
        return;
    };
    let up = std::thread::spawn(move || {
        let _ = io::copy(&mut unix_in, &mut tcp_out);
        let _ = tcp_out.shutdown(Shutdown::Write);
    });
    let (mut tcp_in, mut unix_out) = (tcp, unix);
    let _ = io::copy(&mut tcp_in, &mut unix_out);
    let _ = unix_out.shutdown(Shutdown::Write);
    let _ = up.join();
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read as _, Write as _};

    #[test]
    fn bytes_cross_both_relays_both_ways() {
        // an echo server standing in for the proxy
        let echo = TcpListener::bind("127.0.0.1:0").unwrap();
        let proxy = echo.local_addr().unwrap();
        std::thread::spawn(move || {
            for c in echo.incoming() {
                let mut c = c.unwrap();
                let mut buf = Vec::new();
                c.read_to_end(&mut buf).unwrap();
                c.write_all(&buf).unwrap();
            }
        });
        let dir = super::super::trust::RunDir::create().unwrap();
        let sock = dir.path().join("relay.sock");
        unix_to_proxy(UnixListener::bind(&sock).unwrap(), proxy);
        let inside = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = inside.local_addr().unwrap();
        tcp_to_unix(inside, sock);

        let mut c = TcpStream::connect(addr).unwrap();
        c.write_all(b"CONNECT api.example:443 HTTP/1.1\r\n\r\n")
            .unwrap();
        c.shutdown(Shutdown::Write).unwrap();
        let mut back = String::new();
        c.read_to_string(&mut back).unwrap();
        assert_eq!(back, "CONNECT api.example:443 HTTP/1.1\r\n\r\n");
    }
}
