//! `requestUri` templates (`/{Bucket}/{Key+}?uploads`) and matching a
//! request path and query against them.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Lit(String),
    Label(String),
    /// `{Key+}`: one or more whole segments, slashes kept.
    Greedy(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub segs: Vec<Seg>,
    /// Literal query items: `?delete` is (`delete`, None), `?list-type=2`
    /// is (`list-type`, Some(`2`)).
    pub query: Vec<(String, Option<String>)>,
}

/// How specific a match is; a larger one wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Specificity {
    query_literals: usize,
    literal_segments: usize,
    plain_labels: usize,
}

impl Template {
    pub fn parse(uri: &str) -> Result<Self, String> {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let path = path
            .strip_prefix('/')
            .ok_or_else(|| format!("template {uri} does not start with /"))?;
        let segs = if path.is_empty() {
            Vec::new()
        } else {
            path.split('/').map(seg).collect::<Result<_, _>>()?
        };
        let query = query
            .split('&')
            .filter(|q| !q.is_empty())
            .map(|q| match q.split_once('=') {
                Some((k, v)) => (k.to_owned(), Some(v.to_owned())),
                None => (q.to_owned(), None),
            })
            .collect();
        Ok(Self { segs, query })
    }

    /// Matches raw path segments and decoded query pairs; on success, the
    /// labels with their raw (still percent-encoded) values.
    pub fn matches(
        &self,
        path: &[&str],
        query: &[(String, String)],
    ) -> Option<(Specificity, Vec<(String, String)>)> {
        let query_ok = self.query.iter().all(|(k, v)| {
            query
                .iter()
                .any(|(qk, qv)| qk == k && v.as_ref().is_none_or(|v| v == qv))
        });
        if !query_ok {
            return None;
        }
        let mut labels = Vec::new();
        if !match_segs(&self.segs, path, &mut labels) {
            return None;
        }
        let count = |f: fn(&Seg) -> bool| self.segs.iter().filter(|s| f(s)).count();
        let spec = Specificity {
            query_literals: self.query.len(),
            literal_segments: count(|s| matches!(s, Seg::Lit(_))),
            plain_labels: count(|s| matches!(s, Seg::Label(_))),
        };
        Some((spec, labels))
    }
}

fn seg(s: &str) -> Result<Seg, String> {
    match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
        Some(name) if name.is_empty() || name.contains(['{', '}']) => {
            Err(format!("bad label {{{name}}}"))
        }
        Some(name) => Ok(match name.strip_suffix('+') {
            Some(g) => Seg::Greedy(g.to_owned()),
            None => Seg::Label(name.to_owned()),
        }),
        None if s.contains(['{', '}']) => Err(format!("label inside segment {s}")),
        None => Ok(Seg::Lit(s.to_owned())),
    }
}

fn match_segs(tpl: &[Seg], path: &[&str], out: &mut Vec<(String, String)>) -> bool {
    let Some((first, rest)) = tpl.split_first() else {
        return path.is_empty();
    };
    match first {
        Seg::Lit(l) => path.first() == Some(&l.as_str()) && match_segs(rest, &path[1..], out),
        Seg::Label(name) => match path.first() {
            Some(v) if !v.is_empty() => {
                out.push((name.clone(), (*v).to_owned()));
                match_segs(rest, &path[1..], out) || {
                    out.pop();
                    false
                }
            }
            _ => false,
        },
        Seg::Greedy(name) => {
            // longest first, at least one segment
            for n in (1..=path.len()).rev() {
                let value = path[..n].join("/");
                if value.is_empty() {
                    continue;
                }
                let mark = out.len();
                out.push((name.clone(), value));
                if match_segs(rest, &path[n..], out) {
                    return true;
                }
                out.truncate(mark);
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn greedy_labels_keep_slashes_and_may_sit_mid_path() {
        let t = Template::parse("/v1/{name+}/policy").unwrap();
        let (_, l) = t.matches(&["v1", "a", "b", "policy"], &[]).unwrap();
        assert_eq!(l, vec![("name".to_owned(), "a/b".to_owned())]);
        assert!(t.matches(&["v1", "policy"], &[]).is_none());

        let t = Template::parse("/{Bucket}/{Key+}").unwrap();
        let (_, l) = t.matches(&["b", "dir", ""], &[]).unwrap();
        assert_eq!(l[1], ("Key".to_owned(), "dir/".to_owned()));
    }

    #[test]
    fn query_literals_must_be_present_and_count_as_specific() {
        let plain = Template::parse("/{Bucket}").unwrap();
        let del = Template::parse("/{Bucket}?delete").unwrap();
        let v2 = Template::parse("/{Bucket}?list-type=2").unwrap();
        let query = q(&[("delete", "")]);
        assert!(v2.matches(&["b"], &query).is_none());
        let (a, _) = plain.matches(&["b"], &query).unwrap();
        let (b, _) = del.matches(&["b"], &query).unwrap();
        assert!(b > a);
        assert!(v2.matches(&["b"], &q(&[("list-type", "1")])).is_none());
        assert!(v2.matches(&["b"], &q(&[("list-type", "2")])).is_some());
    }

    #[test]
    fn labels_are_never_empty_and_the_root_is_empty() {
        let root = Template::parse("/").unwrap();
        assert!(root.segs.is_empty());
        assert!(root.matches(&[], &[]).is_some());
        let t = Template::parse("/f/{Name}").unwrap();
        assert!(t.matches(&["f", ""], &[]).is_none());
        assert!(Template::parse("/a{b}").is_err());
    }
}
