//! Service-account JWTs as the Kubernetes auth method reads them. Without `pem_keys` the
//! signature is not checked here (the TokenReview decides whether the token is genuine), as
//! in Vault; the claims are still checked: algorithm, issuer, audience and times.

use base64::{
    alphabet,
    engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig},
    Engine,
};
use serde_json::{Map, Value};

/// The signing algorithms Kubernetes' OIDC accepts, which the plugin allows.
const ALLOWED_ALGORITHMS: [&str; 9] = [
    "RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512",
];

/// go-jose's default clock-skew leeway for `nbf`, `exp` and `iat`.
const CLOCK_SKEW_LEEWAY: i64 = 60;
/// cap/jwt's leeway for deriving a missing `exp` or `nbf` from the others.
const DERIVED_LEEWAY: i64 = 150;

/// base64url as go-jose decodes it: padding optional.
const BASE64URL: GeneralPurpose = GeneralPurpose::new(
    &alphabet::URL_SAFE,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Why a JWT was refused.
#[derive(Debug, PartialEq)]
pub enum JwtError {
    /// It could not be parsed or its signature did not verify. Vault answers these with a
    /// bare "permission denied"; the text is for the server's log only.
    Unverified(String),
    /// A claim check failed; Vault answers 403 with this text.
    Claims(String),
}

/// A JWS in compact form, parsed but not trusted.
pub struct Jwt {
    algorithm: String,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// Parses the compact form, as go-jose's `ParseSigned` (with the allowed algorithms) does.
    pub fn parse(token: &str) -> Result<Jwt, String> {
        let parts: Vec<&str> = token.split('.').collect();
        let [header, payload, signature] = parts[..] else {
            return Err("go-jose/go-jose: compact JWS format must have three parts".into());
        };
        let header = json_object(header, "header")?;
        let algorithm = header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        if !ALLOWED_ALGORITHMS.contains(&algorithm.as_str()) {
            return Err(format!(
                "go-jose/go-jose: unexpected signature algorithm {algorithm:?}"
            ));
        }
        let claims = json_object(payload, "payload")?;
        let signature = BASE64URL
            .decode(signature)
            .map_err(|e| format!("illegal base64 data in the signature: {e}"))?;
        Ok(Jwt {
            algorithm,
            claims,
            signing_input: format!("{}.{}", parts[0], parts[1]),
            signature,
        })
    }

    /// cap/jwt's `ValidateAllowMissingIatNbfExp`: signature (when keys are configured), then
    /// algorithm, issuer, audience and the time claims, each failure with its own text.
    pub fn validate(
        &self,
        keys: &[PublicKey],
        issuer: Option<&str>,
        audience: Option<&str>,
        now: i64,
    ) -> Result<(), JwtError> {
        if !keys.is_empty() && !keys.iter().any(|key| key.verifies(self)) {
            return Err(JwtError::Unverified(
                "error verifying token signature: no known key successfully validated the token signature"
                    .into(),
            ));
        }
        if self.signature.is_empty() {
            return Err(JwtError::Claims(
                "invalid algorithm (alg) header parameter: token must be signed".into(),
            ));
        }
        if let Some(issuer) = issuer {
            if self.claims.get("iss").and_then(Value::as_str) != Some(issuer) {
                return Err(JwtError::Claims("invalid issuer (iss) claim".into()));
            }
        }
        if let Some(audience) = audience {
            if !self.audiences().iter().any(|a| a == audience) {
                return Err(JwtError::Claims(
                    "invalid audience (aud) claim: audience claim does not match any expected audience"
                        .into(),
                ));
            }
        }
        self.validate_times(now).map_err(JwtError::Claims)
    }

    /// `aud`: a string or a list of strings.
    pub fn audiences(&self) -> Vec<String> {
        match self.claims.get("aud") {
            Some(Value::String(one)) => vec![one.clone()],
            Some(Value::Array(many)) => many
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        }
    }

    fn numeric_claim(&self, name: &str) -> i64 {
        self.claims
            .get(name)
            .and_then(Value::as_f64)
            .map_or(0, |n| n as i64)
    }

    /// Tokens without any of `iat`, `nbf` and `exp` (legacy secret tokens) pass; otherwise the
    /// missing ones are derived as cap/jwt does and checked with go-jose's leeway.
    fn validate_times(&self, now: i64) -> Result<(), String> {
        let issued_at = self.numeric_claim("iat");
        let mut expiry = self.numeric_claim("exp");
        let mut not_before = self.numeric_claim("nbf");
        if issued_at == 0 && expiry == 0 && not_before == 0 {
            return Ok(());
        }
        if expiry == 0 {
            expiry = issued_at.max(not_before) + DERIVED_LEEWAY;
        }
        if not_before == 0 {
            not_before = if issued_at != 0 {
                issued_at
            } else {
                expiry - DERIVED_LEEWAY
            };
        }
        if now + CLOCK_SKEW_LEEWAY < not_before {
            return Err("invalid not before (nbf) claim: token not yet valid".into());
        }
        if now - CLOCK_SKEW_LEEWAY > expiry {
            return Err("invalid expiration time (exp) claim: token is expired".into());
        }
        if issued_at != 0 && now + CLOCK_SKEW_LEEWAY < issued_at {
            return Err("invalid issued at (iat) claim: token issued in the future".into());
        }
        Ok(())
    }
}

fn json_object(part: &str, what: &str) -> Result<Map<String, Value>, String> {
    let bytes = BASE64URL
        .decode(part)
        .map_err(|e| format!("illegal base64 data in the {what}: {e}"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(format!("the {what} is not a JSON object")),
        Err(e) => Err(format!("the {what} is not JSON: {e}")),
    }
}

/// The service account a token names. Projected (TokenRequest) tokens carry a
/// `kubernetes.io` object; legacy Secret tokens carry flat `kubernetes.io/serviceaccount/…`
/// claims. Where the projected form is present it wins, as in the plugin.
#[derive(Debug, Default, PartialEq)]
pub struct ServiceAccount {
    pub name: String,
    pub namespace: String,
    pub uid: String,
    /// Only legacy tokens name their Secret.
    pub secret_name: String,
}

impl ServiceAccount {
    pub fn from_claims(claims: &Map<String, Value>) -> ServiceAccount {
        let text = |map: &Map<String, Value>, key: &str| {
            map.get(key)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let mut account = ServiceAccount {
            name: text(claims, "kubernetes.io/serviceaccount/service-account.name"),
            namespace: text(claims, "kubernetes.io/serviceaccount/namespace"),
            uid: text(claims, "kubernetes.io/serviceaccount/service-account.uid"),
            secret_name: text(claims, "kubernetes.io/serviceaccount/secret.name"),
        };
        if let Some(projected) = claims.get("kubernetes.io").and_then(Value::as_object) {
            account.namespace = text(projected, "namespace");
            if let Some(sa) = projected.get("serviceaccount").and_then(Value::as_object) {
                account.name = text(sa, "name");
                account.uid = text(sa, "uid");
            }
        }
        account
    }
}

/// A key from `pem_keys`: its type and the key bytes of its SubjectPublicKeyInfo (PKCS#1 for
/// RSA, the uncompressed point for ECDSA), as ring verifies with them.
#[derive(Clone, Debug)]
pub struct PublicKey {
    kind: KeyKind,
    key: Vec<u8>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum KeyKind {
    Rsa,
    Ecdsa,
}

const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
const OID_EC: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
const NO_KEY: &str = "data does not contain any valid RSA or ECDSA public keys";

impl PublicKey {
    /// The plugin's `parsePublicKeyPEM`: the first PEM block, a public key or a certificate
    /// whose key is taken; RSA or ECDSA only.
    pub fn from_pem(text: &str) -> Result<PublicKey, String> {
        let Some((_, der)) = pem_blocks(text).into_iter().next() else {
            return Err(NO_KEY.into());
        };
        let spki = match spki_key(&der) {
            Some(found) => found,
            None => certificate_spki(&der)
                .and_then(|spki| spki_key(spki))
                .ok_or("x509: malformed certificate")?,
        };
        match spki {
            (oid, key) if oid == OID_RSA => Ok(PublicKey {
                kind: KeyKind::Rsa,
                key: key.to_vec(),
            }),
            (oid, key) if oid == OID_EC => Ok(PublicKey {
                kind: KeyKind::Ecdsa,
                key: key.to_vec(),
            }),
            _ => Err(NO_KEY.into()),
        }
    }

    fn verifies(&self, jwt: &Jwt) -> bool {
        use ring::signature as s;
        let algorithm: &dyn s::VerificationAlgorithm = match (jwt.algorithm.as_str(), self.kind) {
            ("RS256", KeyKind::Rsa) => &s::RSA_PKCS1_2048_8192_SHA256,
            ("RS384", KeyKind::Rsa) => &s::RSA_PKCS1_2048_8192_SHA384,
            ("RS512", KeyKind::Rsa) => &s::RSA_PKCS1_2048_8192_SHA512,
            ("PS256", KeyKind::Rsa) => &s::RSA_PSS_2048_8192_SHA256,
            ("PS384", KeyKind::Rsa) => &s::RSA_PSS_2048_8192_SHA384,
            ("PS512", KeyKind::Rsa) => &s::RSA_PSS_2048_8192_SHA512,
            ("ES256", KeyKind::Ecdsa) => &s::ECDSA_P256_SHA256_FIXED,
            ("ES384", KeyKind::Ecdsa) => &s::ECDSA_P384_SHA384_FIXED,
            // ring has no P-521: ES512 tokens do not verify here.
            _ => return false,
        };
        s::UnparsedPublicKey::new(algorithm, &self.key)
            .verify(jwt.signing_input.as_bytes(), &jwt.signature)
            .is_ok()
    }
}

/// The PEM blocks in `text`: label and decoded bytes, skipping blocks that do not decode (as
/// Go's `pem.Decode` does).
pub fn pem_blocks(text: &str) -> Vec<(String, Vec<u8>)> {
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("-----BEGIN ") {
        let after = &rest[start + 11..];
        let Some(label_end) = after.find("-----") else {
            break;
        };
        let label = &after[..label_end];
        let body = &after[label_end + 5..];
        let end_marker = format!("-----END {label}-----");
        let Some(end) = body.find(&end_marker) else {
            break;
        };
        let encoded: String = body[..end]
            .lines()
            .filter(|line| !line.contains(':'))
            .flat_map(|line| line.chars().filter(|c| !c.is_whitespace()))
            .collect();
        if let Ok(der) = base64::engine::general_purpose::STANDARD.decode(encoded) {
            blocks.push((label.to_string(), der));
        }
        rest = &body[end + end_marker.len()..];
    }
    blocks
}

/// One DER element: tag, contents, and what follows it.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (length, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let count = (first & 0x7f) as usize;
        if count == 0 || count > 4 || rest.len() < count {
            return None;
        }
        let length = rest[..count]
            .iter()
            .fold(0usize, |n, b| (n << 8) | *b as usize);
        (length, &rest[count..])
    };
    (rest.len() >= length).then(|| (tag, &rest[..length], &rest[length..]))
}

/// A SubjectPublicKeyInfo's algorithm OID and key bytes.
fn spki_key(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (0x30, spki, _) = der(input)? else {
        return None;
    };
    let (0x30, algorithm, rest) = der(spki)? else {
        return None;
    };
    let (0x06, oid, _) = der(algorithm)? else {
        return None;
    };
    let (0x03, bits, _) = der(rest)? else {
        return None;
    };
    // The first byte of a BIT STRING counts unused bits; keys have none.
    let (0, key) = bits.split_first()? else {
        return None;
    };
    Some((oid, key))
}

/// The SubjectPublicKeyInfo element (header included) of an X.509 certificate.
fn certificate_spki(input: &[u8]) -> Option<&[u8]> {
    let (0x30, certificate, _) = der(input)? else {
        return None;
    };
    let (0x30, mut fields, _) = der(certificate)? else {
        return None;
    };
    // version [0] (optional), serial, signature algorithm, issuer, validity, subject.
    if fields.first() == Some(&0xa0) {
        fields = der(fields)?.2;
    }
    for _ in 0..5 {
        fields = der(fields)?.2;
    }
    let (_, _, after) = der(fields)?;
    Some(&fields[..fields.len() - after.len()])
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn token(header: Value, claims: Value, signature: &str) -> String {
        format!(
            "{}.{}.{signature}",
            BASE64URL.encode(header.to_string()),
            BASE64URL.encode(claims.to_string())
        )
    }

    #[test]
    fn garbage_and_unexpected_algorithms_do_not_parse() {
        assert!(Jwt::parse("not-a-jwt").is_err());
        assert!(Jwt::parse("a.b.c").is_err());
        let hs256 = token(json!({"alg": "HS256"}), json!({}), "c2ln");
        assert!(Jwt::parse(&hs256).err().unwrap().contains("HS256"));
    }

    #[test]
    fn claims_are_checked_in_caps_order() {
        let jwt = Jwt::parse(&token(
            json!({"alg": "RS256"}),
            json!({"iss": "https://kubernetes.default.svc", "aud": ["a", "b"],
                   "iat": 1000, "exp": 2000}),
            "c2ln",
        ))
        .unwrap();
        assert_eq!(jwt.validate(&[], None, Some("b"), 1500), Ok(()));
        assert_eq!(
            jwt.validate(&[], Some("kubernetes/serviceaccount"), None, 1500),
            Err(JwtError::Claims("invalid issuer (iss) claim".into()))
        );
        assert!(matches!(
            jwt.validate(&[], None, Some("vault"), 1500),
            Err(JwtError::Claims(text)) if text.starts_with("invalid audience (aud) claim")
        ));
        // Within the leeway, then past it.
        assert_eq!(jwt.validate(&[], None, None, 2059), Ok(()));
        assert_eq!(
            jwt.validate(&[], None, None, 2061),
            Err(JwtError::Claims(
                "invalid expiration time (exp) claim: token is expired".into()
            ))
        );
        assert!(jwt.validate(&[], None, None, 900).is_err());
    }

    #[test]
    fn legacy_tokens_without_times_pass_and_unsigned_ones_do_not() {
        let legacy = Jwt::parse(&token(json!({"alg": "RS256"}), json!({}), "c2ln")).unwrap();
        assert_eq!(legacy.validate(&[], None, None, 1), Ok(()));
        let unsigned = Jwt::parse(&token(json!({"alg": "RS256"}), json!({}), "")).unwrap();
        assert!(unsigned.validate(&[], None, None, 1).is_err());
    }

    #[test]
    fn the_projected_form_wins_over_the_legacy_claims() {
        let legacy = json!({
            "kubernetes.io/serviceaccount/namespace": "old",
            "kubernetes.io/serviceaccount/service-account.name": "legacy",
            "kubernetes.io/serviceaccount/service-account.uid": "u1",
            "kubernetes.io/serviceaccount/secret.name": "legacy-token-x",
        });
        let account = ServiceAccount::from_claims(legacy.as_object().unwrap());
        assert_eq!(
            (account.name.as_str(), account.namespace.as_str()),
            ("legacy", "old")
        );
        assert_eq!(account.secret_name, "legacy-token-x");
        let mut both = legacy.as_object().unwrap().clone();
        both.insert(
            "kubernetes.io".into(),
            json!({"namespace": "new", "serviceaccount": {"name": "web", "uid": "u2"}}),
        );
        let account = ServiceAccount::from_claims(&both);
        assert_eq!(
            (account.name, account.namespace, account.uid),
            ("web".into(), "new".into(), "u2".into())
        );
    }

    #[test]
    fn pem_without_a_key_is_refused_in_vaults_words() {
        assert_eq!(PublicKey::from_pem("nothing").unwrap_err(), NO_KEY);
        let not_der = "-----BEGIN PUBLIC KEY-----\naGVsbG8=\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            PublicKey::from_pem(not_der).unwrap_err(),
            "x509: malformed certificate"
        );
    }
}
