//! AWS through the Inspector: every AWS endpoint host is a provider host
//! (so the proxy intercepts it), read by the AWS reader; the credential is
//! the access key id a SigV4 signature names; refusals take the shape the
//! service's clients read; and the grant key binds what the operation is
//! read from but not the signature, which changes on every resend.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_inspect::{CatalogSet, EndpointKind, Inspector, Limits, RequestView, reading_key};
use scopegate_model::{Fingerprint, OpClass, PresentedCredential};

fn inspector() -> Inspector {
    Inspector::new(CatalogSet::bundled().unwrap(), Limits::default())
}

fn auth(service: &str, sig: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20261201/us-east-1/{service}/aws4_request, SignedHeaders=host;x-amz-date, Signature={sig}"
    )
}

#[test]
fn aws_hosts_are_provider_hosts_and_others_are_not() {
    let i = inspector();
    for host in [
        "s3.amazonaws.com",
        "my-bucket.s3.us-east-1.amazonaws.com",
        "ec2.us-east-1.amazonaws.com",
        "sts.amazonaws.com:443",
    ] {
        assert_eq!(
            i.provider_for(host).map(|c| c.provider.as_str()),
            Some("aws"),
            "{host}"
        );
    }
    for host in [
        "amazonaws.com.evil.example",
        "example.com",
        "notamazonaws.com",
    ] {
        assert!(i.provider_for(host).is_none(), "{host}");
    }
}

#[test]
fn an_ec2_terminate_reads_with_its_key_and_refuses_in_ec2s_shape() {
    let i = inspector();
    let a = auth("ec2", &"1".repeat(64));
    let headers: Vec<(&str, &[u8])> = vec![
        (
            "content-type",
            b"application/x-www-form-urlencoded; charset=utf-8",
        ),
        ("x-amz-date", b"20261201T143434Z"),
        ("authorization", a.as_bytes()),
    ];
    let body = b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-1&InstanceId.2=i-2";
    let view = RequestView {
        method: "POST",
        host: "ec2.us-east-1.amazonaws.com",
        target: "/",
        headers: &headers,
        body,
    };
    let got = i.inspect(&view);
    assert_eq!(got.provider.as_deref(), Some("aws"));
    assert_eq!(got.endpoint, EndpointKind::AwsEc2Xml);
    assert_eq!(got.operations[0].name, "ec2:TerminateInstances");
    assert_eq!(got.operations[0].class, OpClass::Destructive);
    match &got.credential {
        PresentedCredential::One { fingerprint, .. } => {
            assert_eq!(*fingerprint, Fingerprint::of(b"AKIAIOSFODNN7EXAMPLE"));
        }
        other => panic!("{other:?}"),
    }

    // The CLI's resend: a new date and signature, the same request.
    let a2 = auth("ec2", &"2".repeat(64));
    let resent: Vec<(&str, &[u8])> = vec![
        ("content-type", headers[0].1),
        ("x-amz-date", b"20261201T143501Z"),
        ("authorization", a2.as_bytes()),
    ];
    let view2 = RequestView {
        headers: &resent,
        ..view
    };
    assert_eq!(
        reading_key(&view, &got),
        reading_key(&view2, &i.inspect(&view2)),
        "a re-signed resend is the same request"
    );
}

#[test]
fn the_grant_key_binds_the_json_target_and_the_error_shape_is_json() {
    let i = inspector();
    let a = auth("dynamodb", &"3".repeat(64));
    let key_for = |target: &[u8]| {
        let headers: Vec<(&str, &[u8])> = vec![
            ("content-type", b"application/x-amz-json-1.0"),
            ("x-amz-target", target),
            ("authorization", a.as_bytes()),
        ];
        let view = RequestView {
            method: "POST",
            host: "dynamodb.us-east-1.amazonaws.com",
            target: "/",
            headers: &headers,
            body: br#"{"TableName":"t"}"#,
        };
        let got = i.inspect(&view);
        assert_eq!(got.endpoint, EndpointKind::AwsJson);
        reading_key(&view, &got)
    };
    assert_ne!(
        key_for(b"DynamoDB_20120810.DeleteTable"),
        key_for(b"DynamoDB_20120810.DescribeTable")
    );
}

#[test]
fn an_unreadable_signature_is_an_ambiguous_credential() {
    let i = inspector();
    let headers: Vec<(&str, &[u8])> = vec![
        ("authorization", b"AWS4-HMAC-SHA256 Credential=broken"),
        ("authorization", b"AWS4-HMAC-SHA256 Credential=broken"),
    ];
    let view = RequestView {
        method: "GET",
        host: "s3.amazonaws.com",
        target: "/",
        headers: &headers,
        body: b"",
    };
    let got = i.inspect(&view);
    assert!(
        matches!(got.credential, PresentedCredential::Ambiguous { .. }),
        "{:?}",
        got.credential
    );
    assert_eq!(got.endpoint, EndpointKind::AwsS3Xml);
}
