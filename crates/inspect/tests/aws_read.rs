//! AWS requests as the AWS CLI (awscli v1 / botocore) sends them, read as
//! the operations they ask for; and requests shaped to hide an operation.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use scopegate_inspect::RequestView;
use scopegate_inspect::aws;
use scopegate_model::OpClass::{self, Destructive, Read, Unknown, Write};
use scopegate_model::Operation;

const FORM: &str = "application/x-www-form-urlencoded; charset=utf-8";

fn auth(region: &str, service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/{region}/{service}/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=0123abcd"
    )
}

fn read(
    method: &str,
    host: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Vec<Operation> {
    let headers: Vec<(&str, &[u8])> = headers.iter().map(|(n, v)| (*n, v.as_bytes())).collect();
    aws::read(&RequestView {
        method,
        host,
        target,
        headers: &headers,
        body,
    })
}

/// A signed request.
fn signed(
    method: &str,
    host: &str,
    target: &str,
    (region, service): (&str, &str),
    extra: &[(&str, &str)],
    body: &[u8],
) -> Vec<Operation> {
    let a = auth(region, service);
    let mut h = vec![
        ("Authorization", a.as_str()),
        ("X-Amz-Date", "20261201T120000Z"),
    ];
    h.extend_from_slice(extra);
    read(method, host, target, &h, body)
}

fn names(ops: &[Operation]) -> Vec<(String, OpClass)> {
    ops.iter().map(|o| (o.name.clone(), o.class)).collect()
}

fn one(ops: &[Operation], name: &str, class: OpClass) -> Operation {
    assert_eq!(names(ops), vec![(name.to_owned(), class)], "{ops:#?}");
    ops[0].clone()
}

fn unknown(ops: &[Operation], label: &str) -> String {
    let op = one(ops, label, Unknown);
    op.note.unwrap()
}

fn res(op: &Operation, kind: &str) -> Vec<String> {
    op.resources.get(kind).cloned().unwrap_or_default()
}

const S3: (&str, &str) = ("us-east-1", "s3");
const VHOST: &str = "my-bucket.s3.us-east-1.amazonaws.com";

// ---------------------------------------------------------------------------
// S3: aws s3 ls / cp / rb --force

#[test]
fn s3_ls_is_list_objects_v2_with_its_prefix() {
    let ops = signed(
        "GET",
        VHOST,
        "/?list-type=2&prefix=logs%2F2026%2F&delimiter=%2F&encoding-type=url",
        S3,
        &[("x-amz-content-sha256", "e3b0c442")],
        b"",
    );
    let op = one(&ops, "s3:ListObjectsV2", Read);
    assert_eq!(op.provider, "aws");
    assert_eq!(op.qualified_name(), "aws:s3:ListObjectsV2");
    assert_eq!(res(&op, "bucket"), ["my-bucket"]);
    assert_eq!(res(&op, "keyPrefix"), ["logs/2026/"]);
    assert_eq!(res(&op, "region"), ["us-east-1"]);

    // `aws s3 ls` without a bucket
    let ops = signed("GET", "s3.us-east-1.amazonaws.com", "/", S3, &[], b"");
    let op = one(&ops, "s3:ListBuckets", Read);
    assert_eq!(res(&op, "bucket"), Vec::<String>::new());
}

#[test]
fn s3_cp_is_put_object_a_write_and_a_copy_source_makes_it_copy_object() {
    let ops = signed(
        "PUT",
        VHOST,
        "/dir/report%20final.csv",
        S3,
        &[("Content-MD5", "abc="), ("Content-Type", "text/csv")],
        b"a,b\n1,2\n",
    );
    let op = one(&ops, "s3:PutObject", Write);
    assert_eq!(res(&op, "key"), ["dir/report final.csv"]);

    let ops = signed(
        "PUT",
        VHOST,
        "/copy.csv",
        S3,
        &[("x-amz-copy-source", "other-bucket/src.csv")],
        b"",
    );
    one(&ops, "s3:CopyObject", Write);

    let ops = signed(
        "PUT",
        VHOST,
        "/big.bin?partNumber=2&uploadId=xyz",
        S3,
        &[],
        b"..",
    );
    one(&ops, "s3:UploadPart", Write);
}

#[test]
fn s3_rb_force_deletes_every_key_then_the_bucket() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a.txt</Key></Object><Object><Key>dir/b.txt</Key></Object><Object><Key>c &amp; d.txt</Key></Object></Delete>"#;
    let ops = signed(
        "POST",
        VHOST,
        "/?delete",
        S3,
        &[("Content-MD5", "x=="), ("Content-Type", "application/xml")],
        body,
    );
    let op = one(&ops, "s3:DeleteObjects", Destructive);
    assert_eq!(res(&op, "key"), ["a.txt", "c & d.txt", "dir/b.txt"]);
    assert_eq!(res(&op, "bucket"), ["my-bucket"]);

    let ops = signed("DELETE", VHOST, "/", S3, &[], b"");
    let op = one(&ops, "s3:DeleteBucket", Destructive);
    assert_eq!(res(&op, "bucket"), ["my-bucket"]);
}

#[test]
fn s3_bucket_policy_is_destructive() {
    let ops = signed(
        "PUT",
        VHOST,
        "/?policy",
        S3,
        &[],
        br#"{"Version":"2012-10-17"}"#,
    );
    one(&ops, "s3:PutBucketPolicy", Destructive);
}

#[test]
fn s3_path_style_and_virtual_hosted_name_the_same_bucket_and_key() {
    let path = signed(
        "DELETE",
        "s3.us-east-1.amazonaws.com",
        "/my-bucket/a/b.txt",
        S3,
        &[],
        b"",
    );
    let vhost = signed("DELETE", VHOST, "/a/b.txt", S3, &[], b"");
    let legacy = signed(
        "DELETE",
        "my-bucket.s3-us-east-1.amazonaws.com",
        "/a/b.txt",
        S3,
        &[],
        b"",
    );
    let global = read("DELETE", "my-bucket.s3.amazonaws.com", "/a/b.txt", &[], b"");
    for ops in [&path, &vhost, &legacy, &global] {
        let op = one(ops, "s3:DeleteObject", Destructive);
        assert_eq!(res(&op, "bucket"), ["my-bucket"]);
        assert_eq!(res(&op, "key"), ["a/b.txt"]);
    }
    assert_eq!(path, vhost);
}

#[test]
fn s3_x_id_must_agree_and_unknown_subresources_are_refused() {
    let ops = signed("GET", VHOST, "/k?x-id=GetObject", S3, &[], b"");
    one(&ops, "s3:GetObject", Read);
    let ops = signed("GET", VHOST, "/k?x-id=DeleteObject", S3, &[], b"");
    unknown(&ops, "ambiguous-operation");
    let ops = signed("PUT", VHOST, "/?brandNewSubresource", S3, &[], b"");
    unknown(&ops, "unknown-operation");
    // A form upload (POST to the bucket) is nothing the catalogue names.
    let ops = signed(
        "POST",
        VHOST,
        "/",
        S3,
        &[("Content-Type", "multipart/form-data; boundary=x")],
        b"--x--",
    );
    unknown(&ops, "unknown-operation");
}

#[test]
fn s3_delete_objects_that_does_not_read_plainly_is_unknown() {
    let body = b"<Delete><Object><Key><![CDATA[secret]]></Key></Object></Delete>";
    let ops = signed("POST", VHOST, "/?delete", S3, &[], body);
    unknown(&ops, "unparsable-body");
    let ops = signed(
        "POST",
        VHOST,
        "/?delete",
        S3,
        &[("Content-Encoding", "aws-chunked")],
        b"<Delete><Object><Key>a</Key></Object></Delete>",
    );
    unknown(&ops, "unparsable-body");
}

// ---------------------------------------------------------------------------
// EC2 and query services

const EC2: &str = "ec2.us-east-1.amazonaws.com";

#[test]
fn ec2_describe_instances_is_a_read() {
    let ops = signed(
        "POST",
        EC2,
        "/",
        ("us-east-1", "ec2"),
        &[("Content-Type", FORM)],
        b"Action=DescribeInstances&Version=2016-11-15",
    );
    let op = one(&ops, "ec2:DescribeInstances", Read);
    assert_eq!(res(&op, "region"), ["us-east-1"]);
}

#[test]
fn ec2_terminate_instances_names_every_instance() {
    let ops = signed(
        "POST",
        EC2,
        "/",
        ("us-east-1", "ec2"),
        &[("Content-Type", FORM)],
        b"Action=TerminateInstances&Version=2016-11-15&InstanceId.1=i-0aaa&InstanceId.2=i-0bbb&InstanceId.3=i-0ccc",
    );
    let op = one(&ops, "ec2:TerminateInstances", Destructive);
    assert_eq!(res(&op, "instanceId"), ["i-0aaa", "i-0bbb", "i-0ccc"]);
}

#[test]
fn sts_get_caller_identity_regional_and_global() {
    for (host, region) in [
        ("sts.us-east-1.amazonaws.com", "us-east-1"),
        ("sts.amazonaws.com", "us-east-1"),
    ] {
        let ops = signed(
            "POST",
            host,
            "/",
            (region, "sts"),
            &[("Content-Type", FORM)],
            b"Action=GetCallerIdentity&Version=2011-06-15",
        );
        let op = one(&ops, "sts:GetCallerIdentity", Read);
        assert_eq!(res(&op, "region"), [region]);
    }
}

#[test]
fn rds_delete_db_instance_without_final_snapshot_keeps_destructive_with_a_note() {
    let ops = signed(
        "POST",
        "rds.eu-west-1.amazonaws.com",
        "/",
        ("eu-west-1", "rds"),
        &[("Content-Type", FORM)],
        b"Action=DeleteDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-db&SkipFinalSnapshot=true",
    );
    let op = one(&ops, "rds:DeleteDBInstance", Destructive);
    assert_eq!(res(&op, "dbInstanceIdentifier"), ["prod-db"]);
    assert!(op.note.unwrap().contains("no final snapshot"));
}

#[test]
fn rds_turning_deletion_protection_off_is_destructive() {
    let body = b"Action=ModifyDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-db&DeletionProtection=false&ApplyImmediately=true";
    let ops = signed(
        "POST",
        "rds.eu-west-1.amazonaws.com",
        "/",
        ("eu-west-1", "rds"),
        &[("Content-Type", FORM)],
        body,
    );
    let op = one(&ops, "rds:ModifyDBInstance", Destructive);
    assert!(op.note.unwrap().contains("deletion protection"));

    let body = b"Action=ModifyDBInstance&Version=2014-10-31&DBInstanceIdentifier=prod-db&DeletionProtection=true";
    let ops = signed(
        "POST",
        "rds.eu-west-1.amazonaws.com",
        "/",
        ("eu-west-1", "rds"),
        &[("Content-Type", FORM)],
        body,
    );
    let op = one(&ops, "rds:ModifyDBInstance", Write);
    assert_eq!(op.note, None);
}

#[test]
fn reviewed_classes_hold_what_destroys_and_free_what_only_restores() {
    let form = |action: &str, rest: &str| format!("Action={action}&Version=2014-10-31{rest}");
    let rds = |body: &str| {
        signed(
            "POST",
            "rds.eu-west-1.amazonaws.com",
            "/",
            ("eu-west-1", "rds"),
            &[("Content-Type", FORM)],
            body.as_bytes(),
        )
    };
    let ops = rds(&form(
        "ModifyDBInstance",
        "&DBInstanceIdentifier=prod-db&BackupRetentionPeriod=0",
    ));
    let op = one(&ops, "rds:ModifyDBInstance", Destructive);
    assert!(op.note.unwrap().contains("automated backups"));
    let ops = rds(&form(
        "ModifyDBInstance",
        "&DBInstanceIdentifier=prod-db&BackupRetentionPeriod=7",
    ));
    one(&ops, "rds:ModifyDBInstance", Write);
    let ops = rds(&form(
        "RestoreDBInstanceFromDBSnapshot",
        "&DBInstanceIdentifier=copy&DBSnapshotIdentifier=snap-1",
    ));
    one(&ops, "rds:RestoreDBInstanceFromDBSnapshot", Write);

    let ec2 = |body: &str| {
        signed(
            "POST",
            "ec2.us-east-1.amazonaws.com",
            "/",
            ("us-east-1", "ec2"),
            &[("Content-Type", FORM)],
            body.as_bytes(),
        )
    };
    let ops = ec2(
        "Action=ModifyInstanceAttribute&Version=2016-11-15&InstanceId=i-1&DisableApiTermination.Value=false",
    );
    let op = one(&ops, "ec2:ModifyInstanceAttribute", Destructive);
    assert!(op.note.unwrap().contains("termination protection"));
    let ops = ec2(
        "Action=ModifySnapshotAttribute&Version=2016-11-15&SnapshotId=snap-1&Attribute=createVolumePermission&OperationType=add&UserGroup.1=all",
    );
    one(&ops, "ec2:ModifySnapshotAttribute", Destructive);

    let ssm = signed(
        "POST",
        "ssm.us-east-1.amazonaws.com",
        "/",
        ("us-east-1", "ssm"),
        &[
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonSSM.SendCommand"),
        ],
        br#"{"DocumentName":"AWS-RunShellScript","InstanceIds":["i-1"],"Parameters":{"commands":["rm -rf /data"]}}"#,
    );
    one(&ssm, "ssm:SendCommand", Destructive);
}

#[test]
fn a_route53_change_batch_that_deletes_records_is_destructive() {
    let batch = |action: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<ChangeResourceRecordSetsRequest xmlns="https://route53.amazonaws.com/doc/2013-04-01/"><ChangeBatch><Changes><Change><Action>UPSERT</Action><ResourceRecordSet><Name>www.example.com.</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.2</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change><Change><Action>{action}</Action><ResourceRecordSet><Name>api.example.com.</Name><Type>A</Type><TTL>60</TTL><ResourceRecords><ResourceRecord><Value>192.0.2.1</Value></ResourceRecord></ResourceRecords></ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>"#
        )
    };
    let send = |body: &str| {
        signed(
            "POST",
            "route53.amazonaws.com",
            "/2013-04-01/hostedzone/Z0123456789ABC/rrset/",
            ("us-east-1", "route53"),
            &[],
            body.as_bytes(),
        )
    };
    let ops = send(&batch("DELETE"));
    let op = one(&ops, "route53:ChangeResourceRecordSets", Destructive);
    assert!(op.note.unwrap().contains("deletes DNS records"));
    one(
        &send(&batch("CREATE")),
        "route53:ChangeResourceRecordSets",
        Write,
    );
    // a body that does not read plainly: its arguments count as unread
    let hidden = batch("CREATE").replace(
        "<Action>CREATE</Action>",
        "<Action><![CDATA[DELETE]]></Action>",
    );
    let op = one(
        &send(&hidden),
        "route53:ChangeResourceRecordSets",
        Destructive,
    );
    assert!(op.note.unwrap().contains("arguments not read"));
}

#[test]
fn iam_arns_give_the_account() {
    let ops = signed(
        "POST",
        "iam.amazonaws.com",
        "/",
        ("us-east-1", "iam"),
        &[("Content-Type", FORM)],
        b"Action=DetachRolePolicy&Version=2010-05-08&RoleName=ci&PolicyArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Apolicy%2Fdeploy",
    );
    let op = one(&ops, "iam:DetachRolePolicy", Destructive);
    assert_eq!(res(&op, "account"), ["123456789012"]);
    assert_eq!(res(&op, "roleName"), ["ci"]);
}

// ---------------------------------------------------------------------------
// json, rest-json, cbor

#[test]
fn dynamodb_delete_table_over_json() {
    let ops = signed(
        "POST",
        "dynamodb.us-west-2.amazonaws.com",
        "/",
        ("us-west-2", "dynamodb"),
        &[
            ("X-Amz-Target", "DynamoDB_20120810.DeleteTable"),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        br#"{"TableName": "orders"}"#,
    );
    let op = one(&ops, "dynamodb:DeleteTable", Destructive);
    assert_eq!(res(&op, "tableName"), ["orders"]);
    assert_eq!(res(&op, "region"), ["us-west-2"]);
}

#[test]
fn dynamodb_batch_writes_that_delete_are_destructive() {
    let batch = |body: &[u8]| {
        signed(
            "POST",
            "dynamodb.us-west-2.amazonaws.com",
            "/",
            ("us-west-2", "dynamodb"),
            &[
                ("X-Amz-Target", "DynamoDB_20120810.BatchWriteItem"),
                ("Content-Type", "application/x-amz-json-1.0"),
            ],
            body,
        )
    };
    let ops = batch(br#"{"RequestItems": {"orders": [{"PutRequest": {"Item": {"id": {"S": "1"}}}}, {"DeleteRequest": {"Key": {"id": {"S": "2"}}}}]}}"#);
    let op = one(&ops, "dynamodb:BatchWriteItem", Destructive);
    assert_eq!(res(&op, "tableName"), ["orders"]);
    assert!(op.note.unwrap().contains("deletes items"));
    let ops =
        batch(br#"{"RequestItems": {"orders": [{"PutRequest": {"Item": {"id": {"S": "1"}}}}]}}"#);
    one(&ops, "dynamodb:BatchWriteItem", Write);
}

#[test]
fn lambda_delete_function_over_rest_json() {
    let ops = signed(
        "DELETE",
        "lambda.us-east-1.amazonaws.com",
        "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aresize",
        ("us-east-1", "lambda"),
        &[],
        b"",
    );
    let op = one(&ops, "lambda:DeleteFunction", Destructive);
    assert_eq!(
        res(&op, "functionName"),
        ["arn:aws:lambda:us-east-1:123456789012:function:resize"]
    );
    assert_eq!(res(&op, "account"), ["123456789012"]);
}

#[test]
fn cloudwatch_over_rpc_v2_cbor_is_named_by_its_iam_prefix() {
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/service/GraniteServiceVersion20100801/operation/DeleteAlarms",
        ("us-east-1", "monitoring"),
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Type", "application/cbor"),
        ],
        b"\xa0",
    );
    one(&ops, "cloudwatch:DeleteAlarms", Destructive);
    // its CBOR arguments are read: an ARN gives the account and region
    let arn = b"arn:aws:cloudwatch:eu-west-1:111122223333:alarm:cpu-high";
    let mut body = vec![0xa1, 0x68];
    body.extend(b"AlarmArn");
    body.extend([0x78, u8::try_from(arn.len()).unwrap()]);
    body.extend(arn);
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/service/GraniteServiceVersion20100801/operation/DeleteAlarms",
        ("us-east-1", "monitoring"),
        &[
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Type", "application/cbor"),
        ],
        &body,
    );
    let op = one(&ops, "cloudwatch:DeleteAlarms", Destructive);
    assert_eq!(res(&op, "account"), ["111122223333"]);
    assert_eq!(res(&op, "arn"), [String::from_utf8(arn.to_vec()).unwrap()]);
    // the same service over its query protocol
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/",
        ("us-east-1", "monitoring"),
        &[("Content-Type", FORM)],
        b"Action=DescribeAlarms&Version=2010-08-01",
    );
    one(&ops, "cloudwatch:DescribeAlarms", Read);
}

// ---------------------------------------------------------------------------
// Adversarial

#[test]
fn a_host_whose_service_disagrees_with_the_signing_scope_is_unknown() {
    let ops = signed(
        "POST",
        EC2,
        "/",
        ("us-east-1", "sts"),
        &[("Content-Type", FORM)],
        b"Action=GetCallerIdentity&Version=2011-06-15",
    );
    unknown(&ops, "scope-mismatch");
    let ops = signed("DELETE", VHOST, "/k", ("eu-west-1", "s3"), &[], b"");
    unknown(&ops, "scope-mismatch");
    // presigned URL for another service
    let ops = read(
        "GET",
        VHOST,
        "/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20261201%2Fus-east-1%2Fec2%2Faws4_request&X-Amz-Signature=ab",
        &[],
        b"",
    );
    unknown(&ops, "scope-mismatch");
    let ops = read(
        "GET",
        VHOST,
        "/k",
        &[("Authorization", "AWS AKID:legacy-v2")],
        b"",
    );
    unknown(&ops, "unreadable-signature");
}

#[test]
fn an_action_hidden_in_the_query_of_a_post_is_unknown() {
    let ops = signed(
        "POST",
        EC2,
        "/?Action=TerminateInstances&InstanceId.1=i-1",
        ("us-east-1", "ec2"),
        &[("Content-Type", FORM)],
        b"Action=DescribeInstances&Version=2016-11-15",
    );
    let why = unknown(&ops, "ambiguous-action");
    assert!(why.contains("2 Action"), "{why}");
}

#[test]
fn an_action_in_the_query_of_a_json_or_cbor_request_is_unknown() {
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/?Action=DeleteAlarms&AlarmNames.member.1=prod",
        ("us-east-1", "monitoring"),
        &[(
            "X-Amz-Target",
            "GraniteServiceVersion20100801.DescribeAlarms",
        )],
        b"",
    );
    unknown(&ops, "ambiguous-action");
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/service/GraniteServiceVersion20100801/operation/DescribeAlarms?Action=DeleteAlarms",
        ("us-east-1", "monitoring"),
        &[("smithy-protocol", "rpc-v2-cbor")],
        b"\xa0",
    );
    unknown(&ops, "ambiguous-action");
}

#[test]
fn a_json_request_that_a_form_reader_could_take_otherwise_is_unknown() {
    // Valid JSON that also decodes as a form naming another Action, sent
    // to an endpoint that reads both.
    let body = br#"{"AlarmNamePrefix":"&Action=DeleteAlarms&AlarmNames.member.1=prod&x="}"#;
    let target = (
        "X-Amz-Target",
        "GraniteServiceVersion20100801.DescribeAlarms",
    );
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/",
        ("us-east-1", "monitoring"),
        &[target, ("Content-Type", FORM)],
        body,
    );
    unknown(&ops, "unparsable-body");
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/",
        ("us-east-1", "monitoring"),
        &[target, ("Content-Type", "application/x-amz-json-1.0")],
        body,
    );
    one(&ops, "cloudwatch:DescribeAlarms", Read);
    // a target header and an RPC v2 path naming another operation
    let ops = signed(
        "POST",
        "monitoring.us-east-1.amazonaws.com",
        "/service/GraniteServiceVersion20100801/operation/DeleteAlarms",
        ("us-east-1", "monitoring"),
        &[target, ("Content-Type", "application/x-amz-json-1.0")],
        b"{}",
    );
    unknown(&ops, "unknown-operation");
}

#[test]
fn dot_segments_outside_s3_are_unknown() {
    let ops = signed(
        "DELETE",
        "lambda.us-east-1.amazonaws.com",
        "/2015-03-31/functions/%2e%2e/functions/prod",
        ("us-east-1", "lambda"),
        &[],
        b"",
    );
    unknown(&ops, "unreadable-target");
}

#[test]
fn two_actions_are_unknown() {
    for body in [
        &b"Action=DescribeInstances&Action=TerminateInstances&InstanceId.1=i-1"[..],
        b"action=TerminateInstances&Version=2016-11-15",
    ] {
        let ops = signed(
            "POST",
            EC2,
            "/",
            ("us-east-1", "ec2"),
            &[("Content-Type", FORM)],
            body,
        );
        unknown(&ops, "ambiguous-action");
    }
}

#[test]
fn an_unknown_service_or_operation_is_unknown() {
    let ops = signed(
        "POST",
        "nosuch.us-east-1.amazonaws.com",
        "/",
        ("us-east-1", "nosuch"),
        &[],
        b"",
    );
    unknown(&ops, "unknown-host");
    let ops = signed(
        "POST",
        EC2,
        "/",
        ("us-east-1", "ec2"),
        &[("Content-Type", FORM)],
        b"Action=LaunchEverything&Version=2016-11-15",
    );
    unknown(&ops, "unknown-operation");
    let ops = signed(
        "DELETE",
        "lambda.us-east-1.amazonaws.com",
        "/2015-03-31/nothing/here",
        ("us-east-1", "lambda"),
        &[],
        b"",
    );
    unknown(&ops, "unknown-operation");
    let ops = signed(
        "POST",
        "dynamodb.us-west-2.amazonaws.com",
        "/",
        ("us-west-2", "dynamodb"),
        &[("X-Amz-Target", "DynamoDB_20120810.DropEverything")],
        b"{}",
    );
    unknown(&ops, "unknown-operation");
}

#[test]
fn sqs_over_the_query_protocol_is_read_as_older_sdks_send_it() {
    let sqs = |target: &str, body: &[u8]| {
        signed(
            "POST",
            "sqs.us-east-1.amazonaws.com",
            target,
            ("us-east-1", "sqs"),
            &[("Content-Type", FORM)],
            body,
        )
    };
    // to the queue URL
    let ops = sqs(
        "/123456789012/orders",
        b"Action=PurgeQueue&Version=2012-11-05",
    );
    let op = one(&ops, "sqs:PurgeQueue", Destructive);
    assert_eq!(res(&op, "account"), ["123456789012"]);
    assert_eq!(res(&op, "queueName"), ["orders"]);
    // to / with the queue URL as an argument
    let ops = sqs(
        "/",
        b"Action=DeleteQueue&Version=2012-11-05&QueueUrl=https%3A%2F%2Fsqs.us-east-1.amazonaws.com%2F123456789012%2Forders",
    );
    let op = one(&ops, "sqs:DeleteQueue", Destructive);
    assert_eq!(res(&op, "queueUrl").len(), 1);
    // the json protocol still reads; a path that is no queue URL does not
    let ops = sqs("/123456789012", b"Action=ListQueues&Version=2012-11-05");
    unknown(&ops, "unknown-operation");
    let ops = sqs(
        "/123456789012/orders/x",
        b"Action=ListQueues&Version=2012-11-05",
    );
    unknown(&ops, "unknown-operation");
}

#[test]
fn an_s3_access_point_is_its_own_resource_never_a_bucket() {
    let host = "ci-ap-111122223333.s3-accesspoint.eu-west-1.amazonaws.com";
    let ops = signed(
        "DELETE",
        host,
        "/builds/42.log",
        ("eu-west-1", "s3"),
        &[],
        b"",
    );
    let op = one(&ops, "s3:DeleteObject", Destructive);
    assert_eq!(res(&op, "accessPoint"), ["ci-ap-111122223333"]);
    assert_eq!(res(&op, "account"), ["111122223333"]);
    assert_eq!(res(&op, "key"), ["builds/42.log"]);
    assert!(
        res(&op, "bucket").is_empty(),
        "a `ci-*` bucket rule must not match"
    );
    // signed for another service: unknown, as for any host
    let ops = signed(
        "GET",
        host,
        "/builds/42.log",
        ("eu-west-1", "s3-object-lambda"),
        &[],
        b"",
    );
    unknown(&ops, "scope-mismatch");
}

#[test]
fn an_x_amz_target_of_another_service_is_unknown() {
    let ops = signed(
        "POST",
        "dynamodb.us-west-2.amazonaws.com",
        "/",
        ("us-west-2", "dynamodb"),
        &[
            ("X-Amz-Target", "AmazonSQS.DeleteQueue"),
            ("Content-Type", "application/x-amz-json-1.0"),
        ],
        br#"{"QueueUrl": "https://sqs/q"}"#,
    );
    unknown(&ops, "target-mismatch");
    // a target header on a query service
    let ops = signed(
        "POST",
        EC2,
        "/",
        ("us-east-1", "ec2"),
        &[
            ("X-Amz-Target", "DynamoDB_20120810.DeleteTable"),
            ("Content-Type", FORM),
        ],
        b"Action=DescribeInstances",
    );
    unknown(&ops, "target-mismatch");
}

#[test]
fn a_malformed_body_is_unknown() {
    let ops = signed(
        "POST",
        EC2,
        "/",
        ("us-east-1", "ec2"),
        &[("Content-Type", FORM)],
        b"Action=TerminateInstances&InstanceId.1=i-%zz",
    );
    unknown(&ops, "unparsable-body");
    let ops = signed(
        "POST",
        EC2,
        "/",
        ("us-east-1", "ec2"),
        &[("Content-Type", "application/json")],
        br#"{"Action":"TerminateInstances"}"#,
    );
    unknown(&ops, "unparsable-body");
    let ops = signed(
        "POST",
        "dynamodb.us-west-2.amazonaws.com",
        "/",
        ("us-west-2", "dynamodb"),
        &[("X-Amz-Target", "DynamoDB_20120810.DeleteTable")],
        br#"{"TableName": "a", "TableName": "b"}"#,
    );
    unknown(&ops, "unparsable-body");
}

#[test]
fn aws_hosts_are_recognised() {
    assert!(aws::is_aws_host("s3.amazonaws.com"));
    assert!(aws::is_aws_host("ec2.cn-north-1.amazonaws.com.cn:443"));
    assert!(!aws::is_aws_host("api.github.com"));
    assert!(!aws::is_aws_host("amazonaws.com.attacker.example"));
}
