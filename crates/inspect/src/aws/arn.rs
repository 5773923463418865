//! ARNs: `arn:partition:service:region:account:resource`.

use super::host::is_region;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: Option<&'a str>,
    pub account: Option<&'a str>,
    pub resource: &'a str,
}

pub fn parse(s: &str) -> Option<Arn<'_>> {
    let mut it = s.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
        it.next(),
    ) else {
        return None;
    };
    let partition_ok = partition == "aws" || partition.starts_with("aws-");
    let account_ok =
        account.is_empty() || (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()));
    let region_ok = region.is_empty() || is_region(region);
    (partition_ok && !service.is_empty() && account_ok && region_ok && !resource.is_empty()).then(
        || Arn {
            partition,
            service,
            region: (!region.is_empty()).then_some(region),
            account: (!account.is_empty()).then_some(account),
            resource,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_account_and_region_when_given() {
        let a = parse("arn:aws:lambda:us-east-1:123456789012:function:f").unwrap();
        assert_eq!(a.account, Some("123456789012"));
        assert_eq!(a.region, Some("us-east-1"));
        assert_eq!(a.resource, "function:f");
        let a = parse("arn:aws:iam::123456789012:role/r").unwrap();
        assert_eq!((a.region, a.account), (None, Some("123456789012")));
        let a = parse("arn:aws:s3:::bucket/key").unwrap();
        assert_eq!(a.account, None);
        assert!(parse("arn:aws:s3:::").is_none());
        assert!(parse("arn:evil:s3:::b").is_none());
        assert!(parse("arn:aws:iam::12345:role/r").is_none());
        assert!(parse("not an arn").is_none());
    }
}
