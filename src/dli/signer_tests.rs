//! Unit tests of the SDK-HMAC-SHA256 signer against test vectors published in
//! Huawei Cloud's own SDKs (only their test data is used here).

use super::*;

/// Vector from huaweicloud/huaweicloud-sdk-python-v3,
/// `huaweicloud-sdk-core/tests/test_signer.py` (`test_signer1`, `test_signer2`):
/// AK `AccessKey`, SK `SecretKey`, host `service.endpoint.myhuaweicloud.com`,
/// path `/resources`, query `size=1`, `X-Sdk-Date: 20200608T023900Z`,
/// signed headers `host;x-sdk-date`.
const PY_AK: &str = "AccessKey";
const PY_SK: &str = "SecretKey";
const PY_DATE: &str = "20200608T023900Z";

fn py_url() -> Url {
    Url::parse("https://service.endpoint.myhuaweicloud.com/resources?size=1").unwrap()
}

#[test]
fn python_sdk_vector_get() {
    let signed = sign(PY_AK, PY_SK, "GET", &py_url(), &[], b"", PY_DATE);
    assert_eq!(
        signed.authorization,
        "SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=host;x-sdk-date, \
         Signature=cfb4171acec81de07d50e53d57eb77edd537414d66ddb1d7d780f128e12cd842"
    );
    assert_eq!(signed.host, "service.endpoint.myhuaweicloud.com");
    assert_eq!(signed.x_sdk_date, PY_DATE);
}

#[test]
fn python_sdk_vector_post() {
    let body = br#"{"name":"test","id":1}"#;
    let signed = sign(PY_AK, PY_SK, "POST", &py_url(), &[], body, PY_DATE);
    assert_eq!(
        signed.signature,
        "436b1ac0a1ae03705934bb70ef2f2e09f7bfed2117d731a38235053199323a1f"
    );
    assert_eq!(signed.signed_headers, "host;x-sdk-date");
}

/// Vector from huaweicloud/huaweicloud-sdk-go-v3, `core/auth/signer/signer_test.go`
/// (`TestSigner_Sign`, case "test1"): GET `https://example.huaweicloud.com/path?limit=1`,
/// only `x-sdk-date: 20060102T150405Z` signed, empty body.
#[test]
fn go_sdk_vector_only_date_signed() {
    let headers = vec![("X-Sdk-Date".to_owned(), "20060102T150405Z".to_owned())];
    let canonical = canonical_request("GET", "/path", Some("limit=1"), &headers, b"");
    let sig = signature("SecretKey", &string_to_sign("20060102T150405Z", &canonical));
    assert_eq!(
        sig,
        "5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"
    );
}

/// Canonical query vector from both SDKs' tests (`TestSigner_canonicalQueryString`,
/// `test_process_canonical_query_string`).
#[test]
fn sdk_canonical_query_vector() {
    let pairs = [
        ("limit", "1"),
        ("enable", "true"),
        ("test", "一 (&=?!#%.*)"),
        ("path", "/tmp/123"),
        ("multi", "1"),
        ("multi", "2"),
        ("multi", "3"),
    ];
    assert_eq!(
        canonical_query_from_pairs(&pairs),
        "enable=true&limit=1&multi=1&multi=2&multi=3&path=%2Ftmp%2F123\
         &test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"
    );
    // The same pairs, as they arrive on the wire, canonicalise identically.
    let wire = "test=%E4%B8%80+%28%26%3D%3F%21%23%25.%2A%29&path=%2Ftmp%2F123&multi=3&multi=1&multi=2&limit=1&enable=true";
    assert_eq!(
        canonical_query(Some(wire)),
        canonical_query_from_pairs(&pairs)
    );
}

#[test]
fn canonical_uri_encodes_segments_and_ends_with_slash() {
    assert_eq!(canonical_uri("/v1.0/p1/jobs"), "/v1.0/p1/jobs/");
    assert_eq!(
        canonical_uri("/v1.0/p1/databases/my%20db/tables/"),
        "/v1.0/p1/databases/my%20db/tables/"
    );
    assert_eq!(canonical_uri(""), "/");
    assert_eq!(canonical_uri("/a/b:c"), "/a/b%3Ac/");
}

#[test]
fn host_header_keeps_non_default_port() {
    let url = Url::parse("http://127.0.0.1:8080/x").unwrap();
    assert_eq!(host_header(&url), "127.0.0.1:8080");
    let url = Url::parse("https://dli.example.com:443/x").unwrap();
    assert_eq!(host_header(&url), "dli.example.com");
}

#[test]
fn sign_then_verify_round_trip() {
    let url = Url::parse("http://127.0.0.1:9000/v1.0/p/jobs?page-size=10&tags=a%3Db").unwrap();
    let extra = vec![("X-Security-Token".to_owned(), "tok".to_owned())];
    let s = sign("AK", "SK", "GET", &url, &extra, b"", "20240101T000000Z");
    assert_eq!(s.signed_headers, "host;x-sdk-date;x-security-token");
    let received = vec![
        ("Host".to_owned(), s.host.clone()),
        ("X-Sdk-Date".to_owned(), s.x_sdk_date.clone()),
        ("x-security-token".to_owned(), "tok".to_owned()),
        ("Authorization".to_owned(), s.authorization.clone()),
        ("Accept".to_owned(), "*/*".to_owned()),
    ];
    let ok = verify("SK", "GET", url.path(), url.query(), &received, b"");
    assert_eq!(ok, Ok("AK".to_owned()));
    let bad = verify("other", "GET", url.path(), url.query(), &received, b"");
    assert_eq!(bad, Err(VerifyError::SignatureMismatch));
    let tampered = verify(
        "SK",
        "GET",
        url.path(),
        Some("page-size=11&tags=a%3Db"),
        &received,
        b"",
    );
    assert_eq!(tampered, Err(VerifyError::SignatureMismatch));
    let missing: Vec<_> = received
        .iter()
        .filter(|(k, _)| k != "x-security-token")
        .cloned()
        .collect();
    let err = verify("SK", "GET", url.path(), url.query(), &missing, b"");
    assert_eq!(
        err,
        Err(VerifyError::MissingSignedHeader("x-security-token".into()))
    );
}

#[test]
fn parse_authorization_header() {
    let p = parse_authorization(
        "SDK-HMAC-SHA256 Access=AK1, SignedHeaders=host;x-sdk-date, Signature=ABCD",
    )
    .unwrap();
    assert_eq!(p.access, "AK1");
    assert_eq!(p.signed_headers, ["host", "x-sdk-date"]);
    assert_eq!(p.signature, "abcd");
    assert_eq!(parse_authorization("Bearer x"), None);
}

#[test]
fn percent_decode_edge_cases() {
    assert_eq!(percent_decode("a%2", false), "a%2");
    assert_eq!(percent_decode("a%zz+b", true), "a%zz b");
    assert_eq!(percent_decode("%E4%B8%80", false), "一");
}
