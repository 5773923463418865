//! The real secret behind a surrogate token, read on the scopegate host
//! and put where the surrogate was presented. `Err` is the sentence a
//! refusal gives.

use http::HeaderMap;
use scopegate_model::PresentedCredential;
use scopegate_policy::SecretRef;

use crate::engine::Engine;
use crate::upstream::swap_credential;

/// Swaps a presented surrogate for the real secret, everywhere it was
/// presented; other credentials pass unchanged.
pub fn swap_surrogate(
    engine: &Engine,
    credential: &PresentedCredential,
    headers: &mut HeaderMap,
) -> Result<(), String> {
    let PresentedCredential::One {
        fingerprint,
        location,
        also,
    } = credential
    else {
        return Ok(());
    };
    let Some((token, true)) = engine.scope_map.token_for(fingerprint) else {
        return Ok(());
    };
    let Some(surrogate) = &token.surrogate else {
        return Ok(());
    };
    // An AWS surrogate's real key only ever signs (`aws_key`): presented
    // anywhere else (as a bearer token to another provider, or on a
    // lookup), it is never put in a request.
    if surrogate.signing.is_some() {
        return Err(format!(
            "token `{}` is an AWS surrogate key: its real key only signs AWS requests, it is never sent",
            token.name
        ));
    }
    let secret = read_secret(engine, &token.name, &surrogate.secret)?;
    if secret.is_empty() {
        return Err(format!(
            "the real secret for token `{}` is empty",
            token.name
        ));
    }
    for place in std::iter::once(location).chain(also) {
        swap_credential(headers, place, &secret).map_err(str::to_owned)?;
    }
    Ok(())
}

pub(super) fn read_secret(
    engine: &Engine,
    token: &str,
    secret: &SecretRef,
) -> Result<String, String> {
    match secret {
        SecretRef::Env(var) => std::env::var(var).map_err(|_| {
            format!("the real secret for token `{token}` (environment variable {var}) is not set on the scopegate host")
        }),
        SecretRef::File(file) => {
            let base = engine
                .sources
                .first()
                .and_then(|p| p.parent())
                .map(std::path::Path::to_path_buf)
                .unwrap_or_default();
            std::fs::read_to_string(base.join(file))
                .map(|s| s.trim().to_owned())
                .map_err(|_| {
                    format!("the real secret for token `{token}` (file {file}) cannot be read on the scopegate host")
                })
        }
    }
}
