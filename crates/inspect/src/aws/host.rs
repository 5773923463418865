//! Host names → endpoint prefix, region, and what the host itself names
//! (an S3 bucket, an S3 Control account).

use super::table::Table;

/// What a host name says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Endpoint {
    /// services.tsv `endpoint_prefix` (`ec2`, `s3`, `api.ecr`).
    pub prefix: String,
    pub region: Option<String>,
    /// Virtual-hosted S3 (`bucket.s3.us-east-1.amazonaws.com`).
    pub bucket: Option<String>,
    /// S3 Control (`123456789012.s3-control.us-east-1.amazonaws.com`), or
    /// an S3 access point's owner.
    pub account: Option<String>,
    /// An S3 access point (`name-123456789012.s3-accesspoint.us-east-1…`):
    /// `bucket` then holds `name-account`, which is not a bucket name.
    pub access_point: bool,
    pub fips: bool,
    pub dualstack: bool,
}

const SUFFIXES: [&str; 3] = [".amazonaws.com", ".amazonaws.com.cn", ".api.aws"];

/// The host without port and trailing dot, lowercased.
fn bare(authority: &str) -> String {
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => authority,
    };
    host.trim_end_matches('.').to_ascii_lowercase()
}

/// True for AWS API host names (`*.amazonaws.com`, `*.amazonaws.com.cn`,
/// `*.api.aws`), whether or not scopegate knows the service.
pub fn is_aws_host(authority: &str) -> bool {
    let host = bare(authority);
    SUFFIXES
        .iter()
        .any(|s| host.strip_suffix(s).is_some_and(|h| !h.is_empty()))
}

/// `us-east-1`, `us-gov-west-1`, `cn-north-1`, `eusc-de-east-1`.
pub fn is_region(s: &str) -> bool {
    let mut parts = s.split('-');
    let Some(first) = parts.next() else {
        return false;
    };
    let rest: Vec<&str> = parts.collect();
    let Some((last, middle)) = rest.split_last() else {
        return false;
    };
    (2..=4).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_lowercase())
        && !middle.is_empty()
        && middle
            .iter()
            .all(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_lowercase()))
        && !last.is_empty()
        && last.bytes().all(|b| b.is_ascii_digit())
}

/// Reads an authority. `Err` says why it is not a known AWS endpoint.
pub fn parse(table: &Table, authority: &str) -> Result<Endpoint, String> {
    let host = bare(authority);
    let rest = SUFFIXES
        .iter()
        .find_map(|s| host.strip_suffix(s))
        .filter(|r| !r.is_empty())
        .ok_or_else(|| format!("{host} is not an AWS API host"))?;
    let mut labels: Vec<&str> = rest.split('.').collect();
    let mut ep = Endpoint::default();
    if let Some(&last) = labels.last() {
        if is_region(last) {
            ep.region = Some(last.to_owned());
            labels.pop();
        } else if let Some(region) = legacy_s3_region(last) {
            ep.region = Some(region);
            let n = labels.len();
            labels[n - 1] = "s3";
        }
    }
    if labels.last() == Some(&"dualstack") {
        ep.dualstack = true;
        labels.pop();
    }
    // Transfer Acceleration: `bucket.s3-accelerate[.dualstack].amazonaws.com`
    if ep.region.is_none()
        && let Some(last) = labels.last_mut()
        && *last == "s3-accelerate"
    {
        *last = "s3";
    }
    if let Some(fips) = access_point_label(&labels) {
        return access_point(ep, &labels[..labels.len() - 1], fips, &host);
    }
    let (i, prefix, fips) = (0..labels.len())
        .find_map(|i| known_prefix(table, &labels[i..]).map(|(p, f)| (i, p, f)))
        .ok_or_else(|| format!("{host}: no AWS service answers at this host"))?;
    ep.prefix = prefix;
    ep.fips = fips;
    let leftover = &labels[..i];
    if leftover.is_empty() {
        return Ok(ep);
    }
    match ep.prefix.as_str() {
        "s3" => ep.bucket = Some(leftover.join(".")),
        "s3-control"
            if leftover.len() == 1
                && leftover[0].len() == 12
                && leftover[0].bytes().all(|b| b.is_ascii_digit()) =>
        {
            ep.account = Some(leftover[0].to_owned());
        }
        _ => {
            return Err(format!(
                "{host}: `{}` before the {} endpoint is not understood",
                leftover.join("."),
                ep.prefix
            ));
        }
    }
    Ok(ep)
}

/// `Some(fips)` when the last label is S3's access point endpoint.
fn access_point_label(labels: &[&str]) -> Option<bool> {
    match labels.last() {
        Some(&"s3-accesspoint") => Some(false),
        Some(&"s3-accesspoint-fips") => Some(true),
        _ => None,
    }
}

/// `name-123456789012` before `s3-accesspoint`: one label, the account its
/// last 12 digits.
fn access_point(
    mut ep: Endpoint,
    before: &[&str],
    fips: bool,
    host: &str,
) -> Result<Endpoint, String> {
    let [label] = before else {
        return Err(format!(
            "{host}: an S3 access point host is `<name>-<account>.s3-accesspoint.<region>…`"
        ));
    };
    let (_, account) = label
        .rsplit_once('-')
        .filter(|(n, a)| !n.is_empty() && a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| format!("{host}: `{label}` is not `<access point name>-<account>`"))?;
    if ep.region.is_none() {
        return Err(format!("{host}: an S3 access point host names its region"));
    }
    ep.prefix = "s3".to_owned();
    ep.fips = fips;
    ep.bucket = Some((*label).to_owned());
    ep.account = Some(account.to_owned());
    ep.access_point = true;
    Ok(ep)
}

/// The endpoint prefix spelled by `labels`, with a `-fips` suffix allowed.
fn known_prefix(table: &Table, labels: &[&str]) -> Option<(String, bool)> {
    let joined = labels.join(".");
    if table.is_endpoint(&joined) {
        return Some((joined, false));
    }
    let plain = joined.strip_suffix("-fips")?;
    table.is_endpoint(plain).then(|| (plain.to_owned(), true))
}

/// Legacy S3 host labels: `s3-us-west-2`, `s3-external-1`,
/// `s3-fips-us-gov-west-1`.
fn legacy_s3_region(label: &str) -> Option<String> {
    if label == "s3-external-1" {
        return Some("us-east-1".to_owned());
    }
    let r = label.strip_prefix("s3-")?;
    let r = r.strip_prefix("fips-").unwrap_or(r);
    is_region(r).then(|| r.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(host: &str) -> Endpoint {
        let t = Table::bundled().unwrap();
        parse(&t, host).unwrap()
    }

    #[test]
    fn s3_access_points_name_their_account_and_are_not_buckets() {
        let e = ep("logs-ap-111122223333.s3-accesspoint.eu-west-1.amazonaws.com");
        assert!(e.access_point && e.prefix == "s3");
        assert_eq!(e.account.as_deref(), Some("111122223333"));
        assert_eq!(e.bucket.as_deref(), Some("logs-ap-111122223333"));
        let e = ep("logs-111122223333.s3-accesspoint.dualstack.eu-west-1.amazonaws.com");
        assert!(e.access_point && e.dualstack);
        let t = Table::bundled().unwrap();
        for bad in [
            "logs.s3-accesspoint.eu-west-1.amazonaws.com",
            "a.logs-111122223333.s3-accesspoint.eu-west-1.amazonaws.com",
            "logs-111122223333.s3-accesspoint.amazonaws.com",
        ] {
            assert!(parse(&t, bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn regional_global_fips_dualstack_and_china() {
        let e = ep("ec2.us-east-1.amazonaws.com");
        assert_eq!(
            (e.prefix.as_str(), e.region.as_deref()),
            ("ec2", Some("us-east-1"))
        );
        let e = ep("iam.amazonaws.com");
        assert_eq!((e.prefix.as_str(), e.region), ("iam", None));
        let e = ep("ec2-fips.us-east-1.amazonaws.com:443");
        assert!(e.fips && e.prefix == "ec2");
        let e = ep("s3.dualstack.us-east-1.amazonaws.com");
        assert!(e.dualstack && e.prefix == "s3" && e.bucket.is_none());
        let e = ep("s3-fips.dualstack.us-east-1.amazonaws.com");
        assert!(e.dualstack && e.fips && e.prefix == "s3");
        let e = ep("ec2.cn-north-1.amazonaws.com.cn");
        assert_eq!(e.region.as_deref(), Some("cn-north-1"));
        let e = ep("api.ecr.eu-west-1.amazonaws.com");
        assert_eq!(e.prefix, "api.ecr");
        for (host, prefix) in [
            ("sts.amazonaws.com", "sts"),
            ("cloudfront.amazonaws.com", "cloudfront"),
            ("route53.amazonaws.com", "route53"),
            ("ec2.us-east-1.api.aws", "ec2"),
        ] {
            assert_eq!(ep(host).prefix, prefix, "{host}");
        }
    }

    #[test]
    fn s3_virtual_hosts_name_the_bucket() {
        let e = ep("my.bucket.s3.us-east-1.amazonaws.com");
        assert_eq!(e.bucket.as_deref(), Some("my.bucket"));
        let e = ep("b.s3.amazonaws.com");
        assert_eq!((e.bucket.as_deref(), e.region), (Some("b"), None));
        let e = ep("b.s3-us-west-2.amazonaws.com");
        assert_eq!(e.bucket.as_deref(), Some("b"));
        assert_eq!(e.region.as_deref(), Some("us-west-2"));
        let e = ep("s3-external-1.amazonaws.com");
        assert_eq!(e.region.as_deref(), Some("us-east-1"));
        let e = ep("b.s3-accelerate.dualstack.amazonaws.com");
        assert_eq!((e.prefix.as_str(), e.bucket.as_deref()), ("s3", Some("b")));
        let e = ep("123456789012.s3-control.us-east-1.amazonaws.com");
        assert_eq!(e.account.as_deref(), Some("123456789012"));
    }

    #[test]
    fn unknown_hosts_are_refused() {
        let t = Table::bundled().unwrap();
        assert!(parse(&t, "nosuch.us-east-1.amazonaws.com").is_err());
        assert!(parse(&t, "x.ec2.us-east-1.amazonaws.com").is_err());
        assert!(parse(&t, "example.com").is_err());
        assert!(parse(&t, "amazonaws.com").is_err());
        assert!(is_aws_host("S3.AMAZONAWS.COM."));
        assert!(!is_aws_host("amazonaws.com.evil.example"));
        assert!(is_region("us-gov-west-1") && !is_region("s3") && !is_region("us-1"));
    }
}
