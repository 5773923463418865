//! Refusals as AWS clients read errors (botocore and the SDKs): code
//! `AccessDenied` and scopegate's message, in the service's own shape, so
//! the AWS CLI prints "An error occurred (AccessDenied) when calling the
//! DeleteBucket operation: scopegate: …".

use http::header::{CONTENT_TYPE, HeaderValue};
use http::{Response, StatusCode};
use scopegate_inspect::EndpointKind;
use serde_json::{Value, json};

use super::json::json_response;
use crate::body::{Body, full};

/// The refusal for an AWS endpoint of `kind`, or `None` for another kind.
pub fn response(
    kind: EndpointKind,
    status: StatusCode,
    message: &str,
    id: &str,
    detail: &Value,
) -> Option<Response<Body>> {
    let xml = match kind {
        EndpointKind::AwsJson => {
            let body = json!({
                "__type": "AccessDeniedException",
                "message": message,
                "scopegate": detail,
            });
            let mut r = json_response(status, &body);
            let h = r.headers_mut();
            h.insert(
                CONTENT_TYPE,
                HeaderValue::from_static("application/x-amz-json-1.1"),
            );
            h.insert(
                "x-amzn-errortype",
                HeaderValue::from_static("AccessDeniedException"),
            );
            return Some(r);
        }
        EndpointKind::AwsXml => format!(
            "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            escape(message),
            escape(id)
        ),
        EndpointKind::AwsEc2Xml => format!(
            "<Response><Errors><Error><Code>AccessDenied</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
            escape(message),
            escape(id)
        ),
        EndpointKind::AwsS3Xml => format!(
            "<Error><Code>AccessDenied</Code><Message>{}</Message><RequestId>{}</RequestId></Error>",
            escape(message),
            escape(id)
        ),
        _ => return None,
    };
    let mut r = Response::new(full(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{xml}"
    )));
    *r.status_mut() = status;
    r.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("text/xml"));
    Some(r)
}

/// XML text: the five special characters as entities, control
/// characters (which XML 1.0 cannot carry) as spaces.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(r: Response<Body>) -> String {
        use http_body_util::BodyExt as _;
        let b = futures_executor(r.into_body().collect())
            .map(|c| c.to_bytes())
            .unwrap_or_default();
        String::from_utf8(b.to_vec()).unwrap_or_default()
    }

    fn futures_executor<F: std::future::Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .map(|rt| rt.block_on(f))
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn each_aws_shape_says_access_denied_with_the_message_escaped() {
        let msg = "scopegate: s3:DeleteBucket <held> & waits";
        let d = json!({});
        let s3 = response(
            EndpointKind::AwsS3Xml,
            StatusCode::FORBIDDEN,
            msg,
            "dec_1",
            &d,
        );
        let s3 = body(s3.unwrap_or_else(|| panic!("s3")));
        assert!(s3.contains("<Error><Code>AccessDenied</Code><Message>scopegate: s3:DeleteBucket &lt;held&gt; &amp; waits</Message>"), "{s3}");
        let ec2 = response(
            EndpointKind::AwsEc2Xml,
            StatusCode::FORBIDDEN,
            msg,
            "dec_1",
            &d,
        );
        let ec2 = body(ec2.unwrap_or_else(|| panic!("ec2")));
        assert!(
            ec2.contains("<Response><Errors><Error><Code>AccessDenied</Code>"),
            "{ec2}"
        );
        let q = response(
            EndpointKind::AwsXml,
            StatusCode::FORBIDDEN,
            msg,
            "dec_1",
            &d,
        );
        let q = body(q.unwrap_or_else(|| panic!("query")));
        assert!(
            q.contains("<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"),
            "{q}"
        );
        let j = response(
            EndpointKind::AwsJson,
            StatusCode::FORBIDDEN,
            msg,
            "dec_1",
            &d,
        )
        .unwrap_or_else(|| panic!("json"));
        assert_eq!(j.headers()["x-amzn-errortype"], "AccessDeniedException");
        let j: Value = serde_json::from_str(&body(j)).unwrap_or_default();
        assert_eq!(j["__type"], "AccessDeniedException");
        assert_eq!(j["message"], msg);
        assert!(response(EndpointKind::Rest, StatusCode::FORBIDDEN, msg, "d", &d).is_none());
    }
}
