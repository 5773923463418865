//! Re-signs a verified request with another key pair.

use std::fmt;

use super::sign::{TOKEN, sign_with};
use super::{Credentials, Kind, Request, SigError, Verified, header_values, presign};

/// What to change in the request before forwarding it.
pub struct Resigned {
    /// Headers to set, replacing every value of the same name.
    pub set_headers: Vec<(String, String)>,
    /// Headers to remove.
    pub remove_headers: Vec<String>,
    /// The new origin-form target (presigned requests).
    pub target: Option<String>,
    /// The new body, same length (aws-chunked requests).
    pub body: Option<Vec<u8>>,
}

impl fmt::Debug for Resigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let set: Vec<&str> = self.set_headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Resigned")
            .field("set_headers", &set)
            .field("remove_headers", &self.remove_headers)
            .field("target", &self.target.as_ref().map(|_| "…"))
            .field("body", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// Re-signs `req`, which `verified` verified, with `new`: same date,
/// scope region and service, signed headers and payload; the session token
/// header set to `new`'s token (signed) or removed.
pub fn resign(
    req: &Request<'_>,
    verified: &Verified,
    new: &Credentials,
) -> Result<Resigned, SigError> {
    let p = &verified.presented;
    if p.kind == Kind::Presigned {
        return presign::resign(req, verified, new);
    }
    let signed = sign_with(
        req,
        new,
        &p.region,
        &p.service,
        &p.signed_headers,
        &p.datetime,
        &verified.payload,
    )?;
    let mut set_headers = vec![(
        "authorization".to_owned(),
        signed.authorization().to_owned(),
    )];
    let mut remove_headers = Vec::new();
    match &new.session_token {
        Some(t) => set_headers.push((TOKEN.to_owned(), t.clone())),
        None if header_values(req.headers, TOKEN).next().is_some() => {
            remove_headers.push(TOKEN.to_owned())
        }
        None => {}
    }
    Ok(Resigned {
        set_headers,
        remove_headers,
        target: None,
        body: signed.body,
    })
}
