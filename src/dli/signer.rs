//! AK/SK request signing, "SDK-HMAC-SHA256" (Huawei Cloud APIG signer), as
//! pure functions so the embedded service can use the same code to verify.
//!
//! Canonical request = `METHOD\n` + canonical URI (each path segment
//! percent-encoded, always ending in `/`) + `\n` + canonical query (pairs sorted,
//! percent-encoded) + `\n` + canonical headers (`name:value\n`, names lowercased,
//! values trimmed, sorted) + `\n` + signed header names joined by `;` + `\n` +
//! hex(sha256(body)). String to sign = `SDK-HMAC-SHA256\n{X-Sdk-Date}\n` +
//! hex(sha256(canonical request)); signature = hex(HMAC-SHA256(SK, string to sign)).
//! Header: `Authorization: SDK-HMAC-SHA256 Access={AK}, SignedHeaders={h1;h2}, Signature={hex}`.
//!
//! Percent-encoding keeps only RFC 3986 unreserved characters (`A-Z a-z 0-9 - _ . ~`).

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};
use url::Url;

/// The algorithm name that starts the `Authorization` header.
pub const ALGORITHM: &str = "SDK-HMAC-SHA256";
/// Name of the date header.
pub const HEADER_SDK_DATE: &str = "X-Sdk-Date";
/// chrono format of `X-Sdk-Date` (UTC), e.g. `20200608T023900Z`.
pub const SDK_DATE_FORMAT: &str = "%Y%m%dT%H%M%SZ";

/// The headers a signed request must carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedHeaders {
    /// Value of `X-Sdk-Date`.
    pub x_sdk_date: String,
    /// Value of `Host` that was signed (`host` or `host:port`).
    pub host: String,
    /// Value of `Authorization`.
    pub authorization: String,
    /// The signed header names, `;`-joined, e.g. `host;x-sdk-date`.
    pub signed_headers: String,
    /// The hex signature alone.
    pub signature: String,
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space when `plus_is_space`); invalid
/// escapes are kept literally, invalid UTF-8 is replaced.
pub fn percent_decode(s: &str, plus_is_space: bool) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(if plus_is_space && b == b'+' { b' ' } else { b });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Canonical URI: each segment decoded then re-encoded; always ends with `/`.
pub fn canonical_uri(path: &str) -> String {
    let encoded: Vec<String> = path
        .split('/')
        .map(|seg| percent_encode(&percent_decode(seg, false)))
        .collect();
    let mut uri = encoded.join("/");
    if !uri.starts_with('/') {
        uri.insert(0, '/');
    }
    if !uri.ends_with('/') {
        uri.push('/');
    }
    uri
}

/// Canonical query string from decoded `(name, value)` pairs: encoded, sorted, `&`-joined.
pub fn canonical_query_from_pairs<K: AsRef<str>, V: AsRef<str>>(pairs: &[(K, V)]) -> String {
    let mut encoded: Vec<(String, String)> = pairs
        .iter()
        .map(|(k, v)| (percent_encode(k.as_ref()), percent_encode(v.as_ref())))
        .collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// Canonical query string from a raw (wire) query, without the `?`.
pub fn canonical_query(raw_query: Option<&str>) -> String {
    let pairs: Vec<(String, String)> = raw_query
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect();
    canonical_query_from_pairs(&pairs)
}

/// Lowercased, trimmed, sorted headers → (canonical header block, signed names).
pub fn canonical_headers(headers: &[(String, String)]) -> (String, String) {
    let mut hs: Vec<(String, String)> = headers
        .iter()
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    hs.sort();
    let block: String = hs.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
    let names: Vec<&str> = hs.iter().map(|(k, _)| k.as_str()).collect();
    (block, names.join(";"))
}

/// hex(sha256(data)).
pub fn hex_sha256(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The canonical request; `headers` are exactly the headers to sign.
pub fn canonical_request(
    method: &str,
    path: &str,
    raw_query: Option<&str>,
    headers: &[(String, String)],
    body: &[u8],
) -> String {
    let (block, names) = canonical_headers(headers);
    format!(
        "{}\n{}\n{}\n{}\n{}\n{}",
        method.to_ascii_uppercase(),
        canonical_uri(path),
        canonical_query(raw_query),
        block,
        names,
        hex_sha256(body)
    )
}

/// `SDK-HMAC-SHA256\n{sdk_date}\n{hex(sha256(canonical_request))}`.
pub fn string_to_sign(sdk_date: &str, canonical_request: &str) -> String {
    format!(
        "{ALGORITHM}\n{sdk_date}\n{}",
        hex_sha256(canonical_request.as_bytes())
    )
}

/// hex(HMAC-SHA256(sk, string_to_sign)).
pub fn signature(sk: &str, string_to_sign: &str) -> String {
    match Hmac::<Sha256>::new_from_slice(sk.as_bytes()) {
        Ok(mut mac) => {
            mac.update(string_to_sign.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC accepts keys of any length; kept total for the type system.
        Err(_) => String::new(),
    }
}

/// The `Host` value a client sends for `url`: `host`, or `host:port` for a
/// non-default port.
pub fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Signs a request. `Host` (from `url`) and `X-Sdk-Date` are always signed;
/// `extra_headers` (e.g. `X-Security-Token`, `Content-Type`) are signed too.
pub fn sign(
    ak: &str,
    sk: &str,
    method: &str,
    url: &Url,
    extra_headers: &[(String, String)],
    body: &[u8],
    sdk_date: &str,
) -> SignedHeaders {
    let host = host_header(url);
    let mut headers: Vec<(String, String)> = extra_headers
        .iter()
        .filter(|(k, _)| {
            !k.eq_ignore_ascii_case("host") && !k.eq_ignore_ascii_case(HEADER_SDK_DATE)
        })
        .cloned()
        .collect();
    headers.push(("host".to_owned(), host.clone()));
    headers.push(("x-sdk-date".to_owned(), sdk_date.to_owned()));
    let canonical = canonical_request(method, url.path(), url.query(), &headers, body);
    let sig = signature(sk, &string_to_sign(sdk_date, &canonical));
    let (_, names) = canonical_headers(&headers);
    SignedHeaders {
        x_sdk_date: sdk_date.to_owned(),
        host,
        authorization: format!("{ALGORITHM} Access={ak}, SignedHeaders={names}, Signature={sig}"),
        signed_headers: names,
        signature: sig,
    }
}

/// The parts of an `Authorization: SDK-HMAC-SHA256 ...` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAuthorization {
    pub access: String,
    /// Lowercased header names.
    pub signed_headers: Vec<String>,
    pub signature: String,
}

/// Parses an `Authorization` header value; `None` if it is not SDK-HMAC-SHA256.
pub fn parse_authorization(value: &str) -> Option<ParsedAuthorization> {
    let rest = value.trim().strip_prefix(ALGORITHM)?.trim_start();
    let (mut access, mut signed, mut sig) = (None, None, None);
    for part in rest.split(',') {
        let (k, v) = part.trim().split_once('=')?;
        match k.trim() {
            "Access" => access = Some(v.trim().to_owned()),
            "SignedHeaders" => signed = Some(v.trim().to_ascii_lowercase()),
            "Signature" => sig = Some(v.trim().to_ascii_lowercase()),
            _ => {}
        }
    }
    Some(ParsedAuthorization {
        access: access?,
        signed_headers: signed?.split(';').map(str::to_owned).collect(),
        signature: sig?,
    })
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VerifyError {
    MissingAuthorization,
    MalformedAuthorization,
    MissingDate,
    /// A header listed in `SignedHeaders` is absent from the request.
    MissingSignedHeader(String),
    SignatureMismatch,
}

/// Verifies a received request. `request_headers` are all headers as received
/// (any case); `path` and `raw_query` as on the wire. Returns the AK on success;
/// the caller checks that the AK is known and that the SK matches it, and
/// should check `X-Sdk-Date` freshness.
pub fn verify(
    sk: &str,
    method: &str,
    path: &str,
    raw_query: Option<&str>,
    request_headers: &[(String, String)],
    body: &[u8],
) -> Result<String, VerifyError> {
    let find = |name: &str| {
        request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let auth = find("authorization").ok_or(VerifyError::MissingAuthorization)?;
    let parsed = parse_authorization(&auth).ok_or(VerifyError::MalformedAuthorization)?;
    let date = find(HEADER_SDK_DATE).ok_or(VerifyError::MissingDate)?;
    let mut signed = Vec::with_capacity(parsed.signed_headers.len());
    for name in &parsed.signed_headers {
        let value = find(name).ok_or_else(|| VerifyError::MissingSignedHeader(name.clone()))?;
        signed.push((name.clone(), value));
    }
    let canonical = canonical_request(method, path, raw_query, &signed, body);
    let expected = signature(sk, &string_to_sign(date.trim(), &canonical));
    if constant_time_eq(expected.as_bytes(), parsed.signature.as_bytes()) {
        Ok(parsed.access)
    } else {
        Err(VerifyError::SignatureMismatch)
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
#[path = "signer_tests.rs"]
mod tests;
