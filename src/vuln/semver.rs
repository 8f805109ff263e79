//! The semantic versions of Go's vulnerability database (docs/security.md, "Security status"):
//! Go releases without the `go` prefix (`1.22.10`, `1.24.0-rc.2`), and the range bounds
//! `0` and `1.23.0-0` (before every 1.23 pre-release), ordered as semver 2.0 orders them.

use std::cmp::Ordering;
use std::fmt;

use crate::version::{GoVersion, Stage};

/// One pre-release identifier: numeric ones sort before alphanumeric ones.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ident {
    Num(u64),
    Text(String),
}

impl Ord for Ident {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Ident::Num(a), Ident::Num(b)) => a.cmp(b),
            (Ident::Num(_), Ident::Text(_)) => Ordering::Less,
            (Ident::Text(_), Ident::Num(_)) => Ordering::Greater,
            (Ident::Text(a), Ident::Text(b)) => a.cmp(b),
        }
    }
}

impl PartialOrd for Ident {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A semantic version (build metadata dropped: it does not order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SemVer {
    major: u64,
    minor: u64,
    patch: u64,
    pre: Vec<Ident>,
}

impl Ord for SemVer {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                // A release sorts after each of its pre-releases.
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => self.pre.cmp(&other.pre),
            })
    }
}

impl PartialOrd for SemVer {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// A number without a sign or leading zeros.
fn number(s: &str) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

impl SemVer {
    /// Parses `1.22.10`, `1.24.0-rc.2`, `1.23.0-0`, and `0` (OSV's "from the start", the
    /// lowest version of all). No `v` or `go` in front: the database writes none.
    pub fn parse(s: &str) -> Option<SemVer> {
        if s == "0" {
            return Some(SemVer {
                major: 0,
                minor: 0,
                patch: 0,
                pre: vec![Ident::Num(0)],
            });
        }
        if s.len() > 64 {
            return None;
        }
        let s = s.split_once('+').map_or(s, |(v, _)| v);
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (s, None),
        };
        let mut parts = core.split('.');
        let (major, minor, patch) = (
            number(parts.next()?)?,
            number(parts.next()?)?,
            number(parts.next()?)?,
        );
        if parts.next().is_some() {
            return None;
        }
        let pre = match pre {
            None => Vec::new(),
            Some(pre) => pre
                .split('.')
                .map(|id| {
                    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
                    {
                        None
                    } else if id.bytes().all(|b| b.is_ascii_digit()) {
                        number(id).map(Ident::Num)
                    } else {
                        Some(Ident::Text(id.to_string()))
                    }
                })
                .collect::<Option<Vec<_>>>()?,
        };
        Some(SemVer {
            major,
            minor,
            patch,
            pre,
        })
    }

    /// The Go release this names, if it is one: `1.22.10` → go1.22.10, `1.24.0-rc.2` →
    /// go1.24rc2; a bound such as `1.23.0-0` is none.
    pub fn release(&self) -> Option<GoVersion> {
        let n = |x: u64| u32::try_from(x).ok();
        let stage = match self.pre.as_slice() {
            [] => Stage::Release,
            [Ident::Text(t), Ident::Num(k)] if t == "rc" && *k > 0 => Stage::Rc(n(*k)?),
            [Ident::Text(t), Ident::Num(k)] if t == "beta" && *k > 0 => Stage::Beta(n(*k)?),
            _ => return None,
        };
        Some(GoVersion {
            major: n(self.major)?,
            minor: n(self.minor)?,
            patch: n(self.patch)?,
            stage,
        })
    }
}

impl From<&GoVersion> for SemVer {
    /// go1.22.10 → 1.22.10, go1.20 → 1.20.0, go1.24rc2 → 1.24.0-rc.2, as Go's own
    /// vulnerability tools translate them.
    fn from(v: &GoVersion) -> SemVer {
        let pre = match v.stage {
            Stage::Release => Vec::new(),
            Stage::Rc(k) => vec![Ident::Text("rc".into()), Ident::Num(k.into())],
            Stage::Beta(k) => vec![Ident::Text("beta".into()), Ident::Num(k.into())],
        };
        SemVer {
            major: v.major.into(),
            minor: v.minor.into(),
            patch: v.patch.into(),
            pre,
        }
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        for (i, id) in self.pre.iter().enumerate() {
            f.write_str(if i == 0 { "-" } else { "." })?;
            match id {
                Ident::Num(n) => write!(f, "{n}")?,
                Ident::Text(t) => f.write_str(t)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(text: &str) -> SemVer {
        SemVer::parse(text).unwrap_or_else(|| panic!("{text} does not parse"))
    }

    fn go(text: &str) -> SemVer {
        SemVer::from(&text.parse::<GoVersion>().unwrap())
    }

    #[test]
    fn semver_order() {
        let ordered = [
            "0",
            "1.0.0",
            "1.22.9",
            "1.22.10",
            "1.23.0-0",
            "1.23.0-beta.1",
            "1.23.0-rc.1",
            "1.23.0-rc.2",
            "1.23.0-rc.10",
            "1.23.0",
            "1.23.1",
        ];
        for pair in ordered.windows(2) {
            assert!(s(pair[0]) < s(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(s("1.2.3+build.5"), s("1.2.3"));
    }

    #[test]
    fn go_versions_translate() {
        assert_eq!(go("go1.22.10"), s("1.22.10"));
        assert_eq!(go("go1.20"), s("1.20.0"));
        assert_eq!(go("go1.24rc2"), s("1.24.0-rc.2"));
        assert_eq!(go("go1.21beta1"), s("1.21.0-beta.1"));
        assert_eq!(
            s("1.24.0-rc.2").release(),
            Some("go1.24rc2".parse().unwrap())
        );
        assert_eq!(s("1.22.11").release(), Some("go1.22.11".parse().unwrap()));
        assert_eq!(s("1.23.0-0").release(), None);
        assert_eq!(s("1.24.0-rc.2").to_string(), "1.24.0-rc.2");
    }

    #[test]
    fn malformed_versions() {
        for bad in [
            "",
            "1",
            "1.2",
            "v1.2.3",
            "go1.2.3",
            "1.02.3",
            "1.2.3-",
            "1.2.3-a..b",
            "1.2.3.4",
            "x",
        ] {
            assert!(SemVer::parse(bad).is_none(), "{bad}");
        }
    }
}
