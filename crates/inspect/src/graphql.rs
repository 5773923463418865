//! GraphQL: from a request's transport (JSON, batches, `application/graphql`,
//! forms, multipart, URL parameters) to documents, from documents to root
//! fields (through aliases, fragments and every operation in the document),
//! and from root fields to catalogued operations with their resources.

pub mod analysis;
pub mod cache;
pub mod guard;
pub mod mask;
mod resolve;
pub mod transport;

pub use analysis::{DocAnalysis, OpKind, analyse};
pub use cache::DocCache;
pub use resolve::operations_for;
pub use transport::{GqlRequest, extract};
