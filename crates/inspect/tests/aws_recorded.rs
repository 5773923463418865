//! The AWS reading against requests the real AWS CLI sent (recorded
//! against moto: tests/fixtures/aws-requests, see its README): each file
//! `<service>-<Operation>.http` must read as exactly that operation.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use scopegate_inspect::RequestView;
use scopegate_model::OpClass;

struct Recorded {
    method: String,
    target: String,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

fn parse(bytes: &[u8]) -> Recorded {
    let split = bytes
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a blank line after the headers");
    let head = std::str::from_utf8(&bytes[..split]).unwrap();
    let mut lines = head.split("\r\n");
    let mut request = lines.next().unwrap().split(' ');
    let (method, target) = (request.next().unwrap(), request.next().unwrap());
    let headers = lines
        .map(|l| {
            let (n, v) = l.split_once(": ").unwrap();
            (n.to_owned(), v.as_bytes().to_vec())
        })
        .collect();
    Recorded {
        method: method.to_owned(),
        target: target.to_owned(),
        headers,
        body: bytes[split + 4..].to_vec(),
    }
}

#[test]
fn every_recorded_cli_request_reads_as_the_operation_it_was() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/aws-requests");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "http") {
            continue;
        }
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let (service, operation) = stem.split_once('-').unwrap();
        let r = parse(&std::fs::read(&path).unwrap());
        let host = r
            .headers
            .iter()
            .find(|(n, _)| n == "host")
            .map(|(_, v)| String::from_utf8(v.clone()).unwrap())
            .unwrap();
        let headers: Vec<(&str, &[u8])> = r
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_slice()))
            .collect();
        let view = RequestView {
            method: &r.method,
            host: &host,
            target: &r.target,
            headers: &headers,
            body: &r.body,
        };
        let ops = scopegate_inspect::aws::read(&view);
        let names: Vec<String> = ops.iter().map(|o| o.name.clone()).collect();
        assert_eq!(names, [format!("{service}:{operation}")], "{stem}: {ops:?}");
        assert_ne!(ops[0].class, OpClass::Unknown, "{stem}");
        seen += 1;
    }
    assert!(seen >= 12, "only {seen} recorded requests");
}

#[test]
fn the_recorded_batch_delete_and_terminate_name_every_target() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/aws-requests");
    let r = parse(&std::fs::read(dir.join("ec2-TerminateInstances.http")).unwrap());
    let headers: Vec<(&str, &[u8])> = r
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_slice()))
        .collect();
    let view = RequestView {
        method: &r.method,
        host: "ec2.us-east-1.amazonaws.com",
        target: &r.target,
        headers: &headers,
        body: &r.body,
    };
    let ops = scopegate_inspect::aws::read(&view);
    assert_eq!(ops[0].class, OpClass::Destructive);
    assert_eq!(
        ops[0].resources.get("instanceId").map(Vec::len),
        Some(2),
        "{ops:?}"
    );
}
