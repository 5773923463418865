//! Standard output that a closed pipe ends quietly.
//!
//! `println!` panics ("failed printing to stdout: Broken pipe") when the
//! reader has gone, as in `scopegate approvals list | head -1`. Everything
//! the commands print goes through [`Out`] instead: a write to a closed pipe
//! is dropped, [`closed`] turns true, and the command finishes with the exit
//! status it would have had anyway (0 for listings and exports, the verdict
//! for `check`). Loops that print (`audit export`, `audit tail`) stop as
//! soon as [`closed`] is true. Nothing is written to stderr about it: the
//! reader stopping is not an error (see docs/closed-pipe.md).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Whether a write found standard output closed.
pub fn closed() -> bool {
    CLOSED.load(Ordering::Relaxed)
}

/// Locked standard output; writes after the reader has gone succeed
/// without writing.
pub struct Out(io::StdoutLock<'static>);

impl Out {
    pub fn lock() -> Self {
        Self(io::stdout().lock())
    }
}

fn quiet<T>(r: io::Result<T>, none: T) -> io::Result<T> {
    match r {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {
            CLOSED.store(true, Ordering::Relaxed);
            Ok(none)
        }
        r => r,
    }
}

impl Write for Out {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if closed() {
            return Ok(buf.len());
        }
        quiet(self.0.write(buf), buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if closed() {
            return Ok(());
        }
        quiet(self.0.flush(), ())
    }
}

/// `println!` that a closed pipe does not panic: evaluates to
/// `std::io::Result<()>`.
#[macro_export]
macro_rules! outln {
    () => {
        ::std::io::Write::write_all(&mut $crate::output::Out::lock(), b"\n")
    };
    ($($arg:tt)*) => {{
        let mut out = $crate::output::Out::lock();
        ::std::io::Write::write_fmt(&mut out, ::std::format_args!($($arg)*))
            .and_then(|()| ::std::io::Write::write_all(&mut out, b"\n"))
    }};
}

/// `print!` that a closed pipe does not panic.
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        ::std::io::Write::write_fmt(&mut $crate::output::Out::lock(), ::std::format_args!($($arg)*))
    };
}
