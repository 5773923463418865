//! A fake OpenID Connect provider on 127.0.0.1:0: discovery, a JWK set
//! (an ES256 key made at start, the test-only RS256 fixture key),
//! `/authorize` (records the request, redirects back with a code) and
//! `/token` (checks client authentication and the PKCE verifier, then
//! signs an ID token as the test's [`Plan`] says). It records what the
//! token endpoint received.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use http::{HeaderMap, StatusCode, header};
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, KeyPair as _, RsaKeyPair, RsaPublicKeyComponents};
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "scopegate-dash";
pub const CLIENT_SECRET: &str = "test-client-secret";

/// How the next ID token is made.
#[derive(Clone)]
pub struct Plan {
    /// `ES256`, `RS256` or `none`.
    pub alg: &'static str,
    /// Sign with a key the JWK set does not hold (under a published kid).
    pub foreign_key: bool,
    /// Claims merged over the defaults (iss, aud, exp, iat, nonce, email).
    pub claims: Value,
    /// Remember a challenge the verifier will not match.
    pub spoil_challenge: bool,
    /// A `kid` other than the published one for `alg`.
    pub kid: Option<&'static str>,
}

impl Default for Plan {
    fn default() -> Self {
        Self {
            alg: "ES256",
            foreign_key: false,
            claims: json!({}),
            spoil_challenge: false,
            kid: None,
        }
    }
}

/// What `/token` received.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    pub authorization: String,
    pub form: HashMap<String, String>,
}

struct Grant {
    challenge: String,
    nonce: String,
    plan: Plan,
}

struct Inner {
    issuer: String,
    es: EcdsaKeyPair,
    foreign_es: EcdsaKeyPair,
    rsa: RsaKeyPair,
    plan: Plan,
    grants: HashMap<String, Grant>,
    authorize_params: Vec<HashMap<String, String>>,
    token_requests: Vec<TokenRequest>,
    jwks_fetches: usize,
}

#[derive(Clone)]
pub struct FakeIdp {
    inner: Arc<Mutex<Inner>>,
}

fn es_key() -> EcdsaKeyPair {
    let rng = SystemRandom::new();
    let alg = &signature::ECDSA_P256_SHA256_FIXED_SIGNING;
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap()
}

pub fn s256(verifier: &str) -> String {
    B64.encode(ring::digest::digest(&ring::digest::SHA256, verifier.as_bytes()).as_ref())
}

/// `application/x-www-form-urlencoded` decoding.
pub fn form_decode(s: &str) -> HashMap<String, String> {
    let dec = |v: &str| {
        let b = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            match b[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < b.len() => {
                    out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).unwrap());
                    i += 2;
                }
                c => out.push(c),
            }
            i += 1;
        }
        String::from_utf8(out).unwrap()
    };
    s.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (dec(k), dec(v))
        })
        .collect()
}

impl FakeIdp {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let rsa =
            RsaKeyPair::from_der(include_bytes!("../fixtures/test-only-oidc-rsa-key.der")).unwrap();
        let fake = Self {
            inner: Arc::new(Mutex::new(Inner {
                issuer,
                es: es_key(),
                foreign_es: es_key(),
                rsa,
                plan: Plan::default(),
                grants: HashMap::new(),
                authorize_params: Vec::new(),
                token_requests: Vec::new(),
                jwks_fetches: 0,
            })),
        };
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
            .route("/authorize", get(authorize))
            .route("/token", post(token))
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        fake
    }

    pub fn issuer(&self) -> String {
        self.inner.lock().unwrap().issuer.clone()
    }

    /// How the next code's ID token is made.
    pub fn plan(&self, plan: Plan) {
        self.inner.lock().unwrap().plan = plan;
    }

    pub fn token_requests(&self) -> Vec<TokenRequest> {
        self.inner.lock().unwrap().token_requests.clone()
    }

    pub fn authorize_params(&self) -> Vec<HashMap<String, String>> {
        self.inner.lock().unwrap().authorize_params.clone()
    }

    pub fn jwks_fetches(&self) -> usize {
        self.inner.lock().unwrap().jwks_fetches
    }
}

async fn discovery(State(f): State<FakeIdp>) -> Response {
    let i = f.issuer();
    axum::Json(json!({
        "issuer": i,
        "authorization_endpoint": format!("{i}/authorize"),
        "token_endpoint": format!("{i}/token"),
        "jwks_uri": format!("{i}/jwks"),
        "response_types_supported": ["code"],
        "id_token_signing_alg_values_supported": ["RS256", "ES256"]
    }))
    .into_response()
}

async fn jwks(State(f): State<FakeIdp>) -> Response {
    let mut g = f.inner.lock().unwrap();
    g.jwks_fetches += 1;
    let point = g.es.public_key().as_ref().to_vec();
    let rsa = RsaPublicKeyComponents::<Vec<u8>>::from(g.rsa.public());
    axum::Json(json!({"keys": [
        {"kty": "EC", "crv": "P-256", "kid": "es1", "use": "sig", "alg": "ES256",
         "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65])},
        {"kty": "RSA", "kid": "rs1", "use": "sig", "alg": "RS256",
         "n": B64.encode(&rsa.n), "e": B64.encode(&rsa.e)}
    ]}))
    .into_response()
}

async fn authorize(State(f): State<FakeIdp>, Query(q): Query<HashMap<String, String>>) -> Response {
    let mut g = f.inner.lock().unwrap();
    g.authorize_params.push(q.clone());
    let code = format!("code-{}", g.authorize_params.len());
    let plan = g.plan.clone();
    let challenge = if plan.spoil_challenge {
        s256("some other verifier")
    } else {
        q["code_challenge"].clone()
    };
    g.grants.insert(
        code.clone(),
        Grant {
            challenge,
            nonce: q["nonce"].clone(),
            plan,
        },
    );
    Redirect::to(&format!(
        "{}?code={code}&state={}",
        q["redirect_uri"],
        scopegate_web::html::query_value(&q["state"])
    ))
    .into_response()
}

fn bad(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, axum::Json(json!({"error": error}))).into_response()
}

async fn token(State(f): State<FakeIdp>, headers: HeaderMap, body: String) -> Response {
    let mut g = f.inner.lock().unwrap();
    let form = form_decode(&body);
    let authorization = headers
        .get(header::AUTHORIZATION)
        .map_or("", |v| v.to_str().unwrap())
        .to_owned();
    g.token_requests.push(TokenRequest {
        authorization: authorization.clone(),
        form: form.clone(),
    });
    let want = format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if authorization != want {
        return bad("invalid_client");
    }
    let Some(grant) = form.get("code").and_then(|c| g.grants.remove(c)) else {
        return bad("invalid_grant");
    };
    let verifier = form.get("code_verifier").map_or("", String::as_str);
    if s256(verifier) != grant.challenge {
        return bad("invalid_grant");
    }
    let id_token = sign(&g, &grant);
    axum::Json(json!({"access_token": "at", "token_type": "Bearer", "id_token": id_token}))
        .into_response()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn sign(g: &Inner, grant: &Grant) -> String {
    let mut claims = json!({
        "iss": g.issuer, "aud": CLIENT_ID, "sub": "user-1",
        "exp": now() + 300, "iat": now(), "nonce": grant.nonce,
        "email": "ann@example.com", "email_verified": true
    });
    for (k, v) in grant.plan.claims.as_object().unwrap() {
        claims[k] = v.clone();
    }
    let kid = match (grant.plan.kid, grant.plan.alg) {
        (Some(kid), _) => kid,
        (None, "RS256") => "rs1",
        (None, _) => "es1",
    };
    let header = json!({"alg": grant.plan.alg, "kid": kid, "typ": "JWT"});
    let input = format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    );
    let rng = SystemRandom::new();
    let sig = match grant.plan.alg {
        "ES256" => {
            let key = if grant.plan.foreign_key {
                &g.foreign_es
            } else {
                &g.es
            };
            key.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec()
        }
        "RS256" => {
            let mut sig = vec![0; g.rsa.public().modulus_len()];
            g.rsa
                .sign(
                    &signature::RSA_PKCS1_SHA256,
                    &rng,
                    input.as_bytes(),
                    &mut sig,
                )
                .unwrap();
            sig
        }
        _ => Vec::new(),
    };
    format!("{input}.{}", B64.encode(sig))
}
