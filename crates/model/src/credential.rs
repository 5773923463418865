//! Where a request presents its credential, as a type: reading a credential
//! and swapping a surrogate for the real secret agree on what each place is.
//! Written as text (`authorization:bearer`, `header:apikey`, `query:token`)
//! in records and reports, the same text as before it was typed.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// An `Authorization` scheme a provider accepts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// `Bearer <token>`.
    Bearer,
    /// `token <token>` (GitHub).
    Token,
    /// `Basic base64(user:password)`.
    Basic,
    /// A provider's own scheme, lowercase: `flyv1` for Fly's `FlyV1 <token>`.
    Other(String),
}

impl AuthScheme {
    /// The scheme as written in a header, compared without case.
    pub fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "bearer" => Self::Bearer,
            "token" => Self::Token,
            "basic" => Self::Basic,
            other => Self::Other(other.to_owned()),
        }
    }

    /// Lowercase, as catalogues write it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Bearer => "bearer",
            Self::Token => "token",
            Self::Basic => "basic",
            Self::Other(s) => s,
        }
    }
}

/// Where a credential was presented.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CredentialLocation {
    /// The `Authorization` header, with this scheme.
    Authorization(AuthScheme),
    /// A provider header whose whole value is the credential, lowercase
    /// (`project-access-token`, Supabase's `apikey`).
    Header(String),
    /// A cookie the provider's catalogue names as carrying its token.
    Cookie(String),
    /// A `Cookie` header the catalogue does not account for: a session,
    /// which scopegate cannot scope.
    SessionCookie,
    /// A query parameter (`access_token`).
    Query(String),
}

impl fmt::Display for CredentialLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Authorization(s) => write!(f, "authorization:{}", s.as_str()),
            Self::Header(h) => write!(f, "header:{h}"),
            Self::Cookie(c) => write!(f, "cookie:{c}"),
            Self::SessionCookie => f.write_str("header:cookie"),
            Self::Query(q) => write!(f, "query:{q}"),
        }
    }
}

impl FromStr for CredentialLocation {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.split_once(':') {
            Some(("authorization", scheme)) if !scheme.is_empty() => {
                Ok(Self::Authorization(AuthScheme::parse(scheme)))
            }
            Some(("header", "cookie")) => Ok(Self::SessionCookie),
            Some(("cookie", c)) if !c.is_empty() => Ok(Self::Cookie(c.to_owned())),
            Some(("header", h)) if !h.is_empty() => Ok(Self::Header(h.to_ascii_lowercase())),
            Some(("query", q)) if !q.is_empty() => Ok(Self::Query(q.to_owned())),
            _ => Err(format!(
                "`{s}` is not a credential location (authorization:SCHEME, header:NAME, cookie:NAME or query:NAME)"
            )),
        }
    }
}

impl Serialize for CredentialLocation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for CredentialLocation {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_schemes_ignore_case() {
        for text in [
            "authorization:bearer",
            "authorization:token",
            "authorization:basic",
            "authorization:flyv1",
            "header:apikey",
            "header:cookie",
            "cookie:zenith",
            "query:access_token",
        ] {
            let loc: CredentialLocation = text.parse().unwrap();
            assert_eq!(loc.to_string(), text);
        }
        assert_eq!(
            "authorization:FlyV1".parse::<CredentialLocation>(),
            Ok(CredentialLocation::Authorization(AuthScheme::Other(
                "flyv1".into()
            )))
        );
        assert_eq!(AuthScheme::parse("BEARER"), AuthScheme::Bearer);
        assert!("cookie".parse::<CredentialLocation>().is_err());
        assert!("header:".parse::<CredentialLocation>().is_err());
    }

    #[test]
    fn serialises_as_its_text() {
        let loc = CredentialLocation::Header("project-access-token".into());
        let json = serde_json::to_string(&loc).unwrap();
        assert_eq!(json, r#""header:project-access-token""#);
        assert_eq!(
            serde_json::from_str::<CredentialLocation>(&json).unwrap(),
            loc
        );
    }
}
