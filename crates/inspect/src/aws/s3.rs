//! What S3 needs beyond its templates: the query parameters it knows (an
//! unknown one may be a sub-resource newer than the catalogue), the choice
//! between operations that share a template, and key prefixes.

use scopegate_model::Operation;

use super::ctx::{Refusal, refuse};
use super::table::Table;

/// Query parameters S3 reads that are not sub-resources.
const PLAIN_PARAMS: &[&str] = &[
    "bucket-region",
    "continuation-token",
    "delimiter",
    "encoding-type",
    "fetch-owner",
    "id",
    "key-marker",
    "list-type",
    "marker",
    "max-buckets",
    "max-keys",
    "max-parts",
    "max-uploads",
    "part-number-marker",
    "partNumber",
    "prefix",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "select-type",
    "start-after",
    "upload-id-marker",
    "uploadId",
    "version-id-marker",
    "versionId",
    "x-id",
];

/// Refuses a query parameter S3 might read as a sub-resource scopegate
/// does not know. Presigning parameters (`X-Amz-*`) are allowed.
pub fn check_query(table: &Table, query: &[(String, String)]) -> Result<(), Refusal> {
    for (k, _) in query {
        let known = PLAIN_PARAMS.contains(&k.as_str())
            || table.s3_subresources.iter().any(|s| s == k)
            || k.get(..6).is_some_and(|p| p.eq_ignore_ascii_case("x-amz-"));
        if !known {
            return refuse(
                "unknown-operation",
                format!("S3 query parameter `{k}` is not one scopegate knows"),
            );
        }
    }
    Ok(())
}

/// Which of several operations sharing a template a request is, told by
/// its query and the `x-amz-copy-source` header.
pub fn pick(names: &[&str], query: &[(String, String)], copy_source: bool) -> Option<&'static str> {
    let has = |k: &str| query.iter().any(|(qk, _)| qk == k);
    let part = has("uploadId") || has("partNumber");
    let is = |set: &[&str]| names.len() == set.len() && set.iter().all(|n| names.contains(n));
    let pick = if is(&["CopyObject", "PutObject", "UploadPart", "UploadPartCopy"]) {
        match (part, copy_source) {
            (true, true) => "UploadPartCopy",
            (true, false) => "UploadPart",
            (false, true) => "CopyObject",
            (false, false) => "PutObject",
        }
    } else if is(&["AbortMultipartUpload", "DeleteObject"]) {
        if has("uploadId") {
            "AbortMultipartUpload"
        } else {
            "DeleteObject"
        }
    } else if is(&["GetObject", "ListParts"]) {
        if has("uploadId") {
            "ListParts"
        } else {
            "GetObject"
        }
    } else if is(&["ListBuckets", "ListDirectoryBuckets"]) {
        // ListDirectoryBuckets goes to the s3express-control endpoint
        "ListBuckets"
    } else {
        return by_id_or_current(names, has("id"));
    };
    Some(pick)
}

/// `Get…Configuration` (with `id`) vs `List…Configurations`, and the
/// current name of the deprecated lifecycle and notification pairs.
fn by_id_or_current(names: &[&str], id: bool) -> Option<&'static str> {
    const PAIRS: &[(&str, &str, bool)] = &[
        (
            "GetBucketAnalyticsConfiguration",
            "ListBucketAnalyticsConfigurations",
            true,
        ),
        (
            "GetBucketIntelligentTieringConfiguration",
            "ListBucketIntelligentTieringConfigurations",
            true,
        ),
        (
            "GetBucketInventoryConfiguration",
            "ListBucketInventoryConfigurations",
            true,
        ),
        (
            "GetBucketMetricsConfiguration",
            "ListBucketMetricsConfigurations",
            true,
        ),
        (
            "GetBucketLifecycleConfiguration",
            "GetBucketLifecycle",
            false,
        ),
        (
            "GetBucketNotificationConfiguration",
            "GetBucketNotification",
            false,
        ),
        (
            "PutBucketLifecycleConfiguration",
            "PutBucketLifecycle",
            false,
        ),
        (
            "PutBucketNotificationConfiguration",
            "PutBucketNotification",
            false,
        ),
    ];
    let [a, b] = names else { return None };
    let (first, second, by_id) = PAIRS
        .iter()
        .find(|(x, y, _)| (a == x && b == y) || (a == y && b == x))?;
    Some(if !by_id || id { first } else { second })
}

/// `prefix` of a listing is the key prefix it reads.
pub fn query_resources(op: &mut Operation, name: &str, query: &[(String, String)]) {
    let lists = matches!(
        name,
        "ListObjects" | "ListObjectsV2" | "ListObjectVersions" | "ListMultipartUploads"
    );
    if lists {
        for (_, v) in query.iter().filter(|(k, _)| k == "prefix") {
            op.add_resource("keyPrefix", v.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(keys: &[&str]) -> Vec<(String, String)> {
        keys.iter()
            .map(|k| ((*k).to_owned(), "1".to_owned()))
            .collect()
    }

    #[test]
    fn shared_templates_are_told_apart() {
        let put = ["CopyObject", "PutObject", "UploadPart", "UploadPartCopy"];
        assert_eq!(pick(&put, &[], false), Some("PutObject"));
        assert_eq!(pick(&put, &[], true), Some("CopyObject"));
        assert_eq!(
            pick(&put, &q(&["uploadId", "partNumber"]), false),
            Some("UploadPart")
        );
        assert_eq!(
            pick(&put, &q(&["uploadId", "partNumber"]), true),
            Some("UploadPartCopy")
        );
        let del = ["DeleteObject", "AbortMultipartUpload"];
        assert_eq!(
            pick(&del, &q(&["uploadId"]), false),
            Some("AbortMultipartUpload")
        );
        assert_eq!(pick(&del, &[], false), Some("DeleteObject"));
        let inv = [
            "GetBucketInventoryConfiguration",
            "ListBucketInventoryConfigurations",
        ];
        assert_eq!(
            pick(&inv, &q(&["id"]), false),
            Some("GetBucketInventoryConfiguration")
        );
        assert_eq!(
            pick(&inv, &[], false),
            Some("ListBucketInventoryConfigurations")
        );
        let lc = ["PutBucketLifecycle", "PutBucketLifecycleConfiguration"];
        assert_eq!(
            pick(&lc, &[], false),
            Some("PutBucketLifecycleConfiguration")
        );
        assert_eq!(
            pick(
                &["GetObjectAnnotation", "ListObjectAnnotations"],
                &[],
                false
            ),
            None
        );
    }

    #[test]
    fn unknown_query_parameters_are_refused() {
        let t = Table::bundled().unwrap();
        assert!(check_query(&t, &q(&["delete", "prefix", "X-Amz-Signature"])).is_ok());
        assert!(check_query(&t, &q(&["brand-new-subresource"])).is_err());
    }
}
