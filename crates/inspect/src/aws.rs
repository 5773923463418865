//! AWS API requests read as the operations they ask for, named as IAM
//! actions are (`s3:DeleteBucket`, `ec2:TerminateInstances`), in pure code.
//!
//! The host says the service and region; the SigV4 credential scope must
//! name the same service. The protocol the service speaks says where the
//! operation is: `X-Amz-Target` (json), `Action` (query, ec2), method and
//! path against `requestUri` templates (rest-json, rest-xml), or
//! `/service/<Service>/operation/<Operation>` (smithy-rpc-v2-cbor).
//! Whatever cannot be read fully is an `unknown` operation. See
//! docs/providers/aws.md.

mod arn;
mod cbor_value;
mod ctx;
mod escalate;
mod host;
mod inspection;
mod overrides;
mod protocol;
mod resources;
mod s3;
mod scope;
mod streamed;
mod table;
mod template;
mod words;
mod xml;
mod xml_args;

use std::sync::OnceLock;

use scopegate_model::Operation;

use crate::RequestView;

pub use host::is_aws_host;
pub(crate) use inspection::inspection;
pub use streamed::streams_body;
pub use table::{Table, TableError};

/// Provider id of every AWS operation.
pub const PROVIDER: &str = "aws";

/// The request headers this module reads (the grant key must bind them
/// when the inspector calls [`read`]).
pub const READ_HEADERS: &[&str] = &[
    "authorization",
    "content-encoding",
    "content-type",
    "x-amz-copy-source",
    "x-amz-target",
];

static BUNDLED: OnceLock<Result<Table, String>> = OnceLock::new();

/// The bundled catalogue, parsed on first use.
pub fn bundled() -> Result<&'static Table, &'static str> {
    BUNDLED
        .get_or_init(|| Table::bundled().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(String::as_str)
}

/// Every operation `req` asks AWS to perform, against the bundled
/// catalogue.
pub fn read(req: &RequestView<'_>) -> Vec<Operation> {
    match bundled() {
        Ok(t) => t.read(req),
        Err(e) => vec![Operation::unknown(
            PROVIDER,
            "catalogue",
            format!("the AWS catalogue did not load: {e}"),
        )],
    }
}

impl Table {
    /// Every operation `req` asks AWS to perform (never none: what cannot
    /// be read is one `unknown` operation).
    pub fn read(&self, req: &RequestView<'_>) -> Vec<Operation> {
        match ctx::Ctx::new(self, req).and_then(|c| c.read()) {
            Ok(ops) if !ops.is_empty() => ops,
            Ok(_) => vec![Operation::unknown(
                PROVIDER,
                "unknown-operation",
                "no AWS operation was read",
            )],
            Err(r) => vec![Operation::unknown(PROVIDER, r.label, r.why)],
        }
    }
}
