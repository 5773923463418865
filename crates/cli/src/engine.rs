//! Catalogues and a scope map loaded from files; shared with the proxy.

pub use scopegate_proxy::Engine;
