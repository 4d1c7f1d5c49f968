//! DKIM test helpers: fixed test keys, their DNS records, and signing.
//!
//! The keys below were generated once with OpenSSL for tests only
//! (`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048`, `openssl genpkey -algorithm ed25519`).
//! They protect nothing; never use them outside tests.

#![allow(dead_code)]

use mail_auth::common::crypto::{Ed25519Key, RsaKey, Sha256, SigningKey};
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use mail_parser::decoders::base64::base64_decode;
use rustls_pki_types::PrivateKeyDer;
use rustls_pki_types::pem::PemObject;

/// The headers every test signature covers (those absent from a message are simply skipped).
pub const SIGNED_HEADERS: [&str; 7] = ["From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References"];

/// A 2048-bit RSA test key, PKCS#8 PEM.
pub const RSA_PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQCk+LL4svl6u8J5
F9aHz41E/Jl/dZiryjNBYrj+H6D/bKqhYXCiEaVcKw0oQ+y3yM5wLM0P0RxTbpjj
mJAQEpQS636uD4yvZU34RbqZyJYeZRHIN6ML50OrK2NDBKJ6FRg+Gy+gHfha86lj
a/nWvFtWUtg6y4rBR4R9w3VxIlmVgrkN+g4SHukSb/u9s57y6hRjk4RJFwKmNswr
BhbyDJQ8R42HDfejd8f8y+OWtYnK3qucP3QbklGrXI8WvkYuxsdpaG2wtd97BYT3
6qK4aLJSzxguxTm3nPBQSpCuET/2BsDQPDtWJ8yw1zJcri0a/7xKEGZjqrWm4aUh
aTj7xNmvAgMBAAECggEAEF2ht51dtYjJ5qRwQmHbNGRQv/3FCwnQouRt0LwHhz9b
AA6AE3vnqSiWMg/m/GZ94E/5ed+3TSmUHkQEyqtlKClXlGHzhXTp0r7sH5RwHAzP
wkqOsMAdDO6NdtkPW0gbcxHUXDCM8kzo2XWdP+nIr9whGlgV6E21fZp13KbZN0Ur
Skk+PTiV5Od0NsLAgYSwL0zqGU4h2QhUTXQPc/LuCRsFipNZt+ZRq4BMuUZPv4Uc
VNbBk2/Nb3/0weJyX1H9ibJx54M0FaAauFh87atINCNRhBIl6Usov8hK1NPwOZs9
b6lBJHcXtWmuR/qrkqSZj2uqfhy8gy5e7U1fFSWBsQKBgQDZlSVPv8jDLDQEf0D9
lQbUdAcovOA+3ygbCdLxq3LfT20BQgwvjENMd5ii541php71fEVslr7oKJ+KSWm0
kWMyeiRtOSVxodc3inFN324qnylh9WCu62jkV97lNFMhAl7t1jiruBbyICWw3vWu
/S1cN3zxKQ04r8oFYAwTBwMj8QKBgQDCGYBmasut8TTQgnhodV4X6TR0qSBLhKnM
cfbiksHe0cLWjDPB3AWpiaadNrmtQd9JXya5VMXVJsf0fLh5Xl+1eJuv6Ak/xBuG
wqebSMHpv/2ck0zg0NjK02z2+TDM0AqxxGqTOzlYO2QB1E8zT3KlNxaAy17MIgkw
S8vlf2T3nwKBgBz6F/X+/KXBhUv0Bpu+9SHmMe3i+Zpl7dlr/YPh6XKECWhZe3X5
oBzW8KUBYXvkSdc3radAjDwu7NBl5oX9ttBKI//H1IzFmPv0nBJa5zkV6VT6cN3a
zCVc7npn9Yo33pyeIv37jlLApURg7SdY4Gmfmiwj43bhMm501CbUkD6BAoGAC1QT
s2aORrOqQnUq8+XNvRWGUzy/vsiaZG1OXID2Qbv6ZC1ApBLkXbXD/K8B/UO39X9R
MkXpWfxudS2GUscYTO4iIA0p5QfcF2xq/dwsPSlQcwAB36kwzf2zAWMf3wRRa3is
Q7WULjshJh4vFS6Q4WWqsY+tE7r00FXMK7PYv78CgYAnFToZE5Qgk1K7gT53KkUw
rt7fd7HsT4xfgPIb2wqKGUj+1Ih+z2eKgD7gZyEy99vQ1jeb8pH3wQEKXVdq/QLa
6zK5yGOe+q1lDevoTG4Yjq/katYt1EhPn2pp3n4tvN93L74UXFvoE6FTQhdX4Dhi
V1ZxFX8j3Vf+S29/5uRzeA==
-----END PRIVATE KEY-----
";

/// The public half of [`RSA_PRIVATE_KEY_PEM`]: base64 SubjectPublicKeyInfo DER.
pub const RSA_PUBLIC_KEY_B64: &str = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEApPiy+LL5ervCeRfWh8+NRPyZf3WYq8ozQWK4/h+g/2yqoWFwohGlXCsNKEPst8jOcCzND9EcU26Y45iQEBKUEut+rg+Mr2VN+EW6mciWHmURyDejC+dDqytjQwSiehUYPhsvoB34WvOpY2v51rxbVlLYOsuKwUeEfcN1cSJZlYK5DfoOEh7pEm/7vbOe8uoUY5OESRcCpjbMKwYW8gyUPEeNhw33o3fH/MvjlrWJyt6rnD90G5JRq1yPFr5GLsbHaWhtsLXfewWE9+qiuGiyUs8YLsU5t5zwUEqQrhE/9gbA0Dw7VifMsNcyXK4tGv+8ShBmY6q1puGlIWk4+8TZrwIDAQAB";

/// An ed25519 test key: the 32-byte seed, base64.
pub const ED25519_SEED_B64: &str = "/G1K76GwG7wJiVqj8KgrjIhjMDBYbErrg4OZcbMm5sU=";

/// The public half of [`ED25519_SEED_B64`]: the raw 32-byte key, base64.
pub const ED25519_PUBLIC_KEY_B64: &str = "ekMadfS0uFjeVYhV69WRju8DPkkMgANP5EJnr8VyAm8=";

/// The DKIM TXT record (`v=DKIM1; k=rsa; p=...`) for the RSA test key, over 255 bytes long.
pub fn dns_record() -> String {
    format!("v=DKIM1; k=rsa; p={RSA_PUBLIC_KEY_B64}")
}

/// The DKIM TXT record (`v=DKIM1; k=ed25519; p=...`) for the ed25519 test key.
pub fn dns_record_ed25519() -> String {
    format!("v=DKIM1; k=ed25519; p={ED25519_PUBLIC_KEY_B64}")
}

/// The `<selector>._domainkey.<domain>` name a signature with these tags is verified against.
pub fn key_name(domain: &str, selector: &str) -> String {
    format!("{selector}._domainkey.{domain}")
}

fn rsa_key() -> RsaKey<Sha256> {
    let der = PrivateKeyDer::from_pem_slice(RSA_PRIVATE_KEY_PEM.as_bytes()).expect("test RSA key PEM");
    RsaKey::<Sha256>::from_key_der(der).expect("test RSA key")
}

fn ed25519_key() -> Ed25519Key {
    let seed = base64_decode(ED25519_SEED_B64.as_bytes()).expect("test ed25519 seed");
    let public = base64_decode(ED25519_PUBLIC_KEY_B64.as_bytes()).expect("test ed25519 public key");
    Ed25519Key::from_seed_and_public_key(&seed, &public).expect("test ed25519 key")
}

fn sign_with<K: SigningKey>(key: K, raw: &[u8], domain: &str, selector: &str, headers: &[&str]) -> Vec<u8> {
    let signature = DkimSigner::from_key(key)
        .domain(domain)
        .selector(selector)
        .headers(headers.iter().copied())
        .sign(raw)
        .expect("DKIM signing");
    let mut out = signature.to_header().into_bytes();
    out.extend_from_slice(raw);
    out
}

/// Signs `raw` with the RSA test key as `d=domain; s=selector` (relaxed/relaxed) and returns the message with
/// the `DKIM-Signature:` header prepended. Publish [`dns_record`] at [`key_name`]`(domain, selector)`.
pub fn sign(raw: &[u8], domain: &str, selector: &str) -> Vec<u8> {
    sign_with(rsa_key(), raw, domain, selector, &SIGNED_HEADERS)
}

/// Like [`sign`], covering only `headers` (e.g. to build a signature that does not cover `From:`).
pub fn sign_headers(raw: &[u8], domain: &str, selector: &str, headers: &[&str]) -> Vec<u8> {
    sign_with(rsa_key(), raw, domain, selector, headers)
}

/// Like [`sign`], with the ed25519 test key; publish [`dns_record_ed25519`].
pub fn sign_ed25519(raw: &[u8], domain: &str, selector: &str) -> Vec<u8> {
    sign_with(ed25519_key(), raw, domain, selector, &SIGNED_HEADERS)
}
