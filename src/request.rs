//! What a directory asks for, in version terms: a spec that a file picked, a floor that a
//! `go` line set, or both; and how a version is chosen from candidates (the installed
//! versions, or the release index) to satisfy it (docs/selection.md).

use std::fmt;

use crate::version::{GoVersion, VersionSpec};

/// The least version a `go` line accepts. `go 1.22` (a language version) is met by every
/// release of 1.22 and later, pre-releases included, as Go orders them (`1.22 < 1.22rc1`);
/// `go 1.22.3` by 1.22.3 and later.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Floor {
    pub version: GoVersion,
    /// Written without a patch number (`go 1.22`).
    pub language: bool,
}

impl Floor {
    /// Parses the value of a `go` line: `1.22`, `1.22.3`, `1.21rc1`.
    pub fn parse(value: &str) -> Option<Floor> {
        match value.parse::<VersionSpec>().ok()? {
            VersionSpec::Prefix {
                major,
                minor: Some(minor),
            } => Some(Floor {
                version: GoVersion::new(major, minor, 0),
                language: true,
            }),
            VersionSpec::Exact(version) => Some(Floor {
                version,
                language: false,
            }),
            _ => None,
        }
    }

    /// Whether `v` meets this floor.
    pub fn admits(&self, v: &GoVersion) -> bool {
        if self.language {
            (v.major, v.minor) >= (self.version.major, self.version.minor)
        } else {
            *v >= self.version
        }
    }

    /// Whether some version `spec` selects could meet this floor. A spec that cannot (an
    /// exact `1.21.13` under `go 1.22`, a prefix `1.21` under `go 1.22.0`) is older than the
    /// floor and is never used there.
    pub fn reachable_by(&self, spec: &VersionSpec) -> bool {
        let (major, minor) = (self.version.major, self.version.minor);
        match *spec {
            VersionSpec::Exact(v) => self.admits(&v),
            VersionSpec::Prefix {
                major: m,
                minor: Some(n),
            } => (m, n) >= (major, minor),
            VersionSpec::Prefix {
                major: m,
                minor: None,
            } => m >= major,
            // Decided over the candidates: whether one meets the floor shows in `choose`.
            VersionSpec::Latest | VersionSpec::Stable | VersionSpec::OldStable => true,
        }
    }
}

impl fmt::Display for Floor {
    /// As the `go` line says it: `1.22`, `1.22.3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.version;
        if self.language {
            write!(f, "{}.{}", v.major, v.minor)
        } else {
            let name = v.to_string();
            f.write_str(name.strip_prefix("go").unwrap_or(&name))
        }
    }
}

/// What has to be satisfied: a spec a file picked (`None`: only a `go` line spoke), and the
/// floor of the module or workspace (`None`: no `go` line applies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub spec: Option<VersionSpec>,
    pub floor: Option<Floor>,
}

impl Request {
    /// A spec alone, as typed on the command line.
    pub fn spec(spec: VersionSpec) -> Request {
        Request {
            spec: Some(spec),
            floor: None,
        }
    }

    /// Whether `v` meets the floor.
    fn meets_floor(&self, v: &GoVersion) -> bool {
        self.floor.is_none_or(|f| f.admits(v))
    }

    /// The best of `candidates`. For a spec: the newest version it matches that meets the
    /// floor. For a floor alone: the newest release of the floor's minor that meets it, else
    /// the newest newer release; stable releases before pre-releases in both.
    pub fn choose<'a, I>(&self, candidates: I) -> Option<GoVersion>
    where
        I: IntoIterator<Item = &'a GoVersion>,
    {
        let admitted: Vec<GoVersion> = candidates
            .into_iter()
            .filter(|v| self.meets_floor(v))
            .copied()
            .collect();
        let newest = |vs: &mut dyn Iterator<Item = &GoVersion>| {
            let vs: Vec<GoVersion> = vs.copied().collect();
            let stable = vs.iter().filter(|v| v.is_stable()).max().copied();
            stable.or_else(|| vs.iter().max().copied())
        };
        match (self.spec, self.floor) {
            (None, Some(floor)) => {
                let same_minor = |v: &&GoVersion| {
                    (v.major, v.minor) == (floor.version.major, floor.version.minor)
                };
                newest(&mut admitted.iter().filter(same_minor))
                    .or_else(|| newest(&mut admitted.iter()))
            }
            // The spec decides among what meets the floor (`oldstable` over that set).
            (Some(spec), _) => spec.best(&admitted),
            (None, None) => newest(&mut admitted.iter()),
        }
    }

    /// The exact version asked for, when there is one.
    pub fn exact(&self) -> Option<GoVersion> {
        match self.spec {
            Some(VersionSpec::Exact(v)) => Some(v),
            _ => None,
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.spec, self.floor) {
            (Some(spec), None) => spec.fmt(f),
            (Some(spec), Some(floor)) => write!(f, "{spec} (at least {floor})"),
            (None, Some(floor)) => write!(f, "Go {floor} or newer"),
            (None, None) => f.write_str("any Go"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    fn floor(s: &str) -> Floor {
        Floor::parse(s).unwrap()
    }

    #[test]
    fn floors_follow_gos_ordering() {
        assert!(
            floor("1.22").admits(&v("1.22rc1")),
            "1.22 < 1.22rc1 in Go's order"
        );
        assert!(floor("1.22").admits(&v("1.23.0")));
        assert!(!floor("1.22").admits(&v("1.21.13")));
        assert!(!floor("1.22.3").admits(&v("1.22.2")));
        assert!(floor("1.22.3").admits(&v("1.22.3")));
        assert!(floor("1.21rc2").admits(&v("1.21rc2")));
        assert!(!floor("1.21rc2").admits(&v("1.21rc1")));
        assert_eq!(floor("1.22").to_string(), "1.22");
        assert_eq!(floor("1.22.3").to_string(), "1.22.3");
        assert_eq!(Floor::parse("1"), None);
        assert_eq!(Floor::parse("latest"), None);
    }

    #[test]
    fn a_spec_older_than_the_floor_cannot_reach_it() {
        let spec = |s: &str| s.parse::<VersionSpec>().unwrap();
        let f = floor("1.22");
        assert!(!f.reachable_by(&spec("1.21.13")));
        assert!(!f.reachable_by(&spec("1.21")));
        assert!(f.reachable_by(&spec("1.22")));
        assert!(f.reachable_by(&spec("1")));
        assert!(f.reachable_by(&spec("latest")));
        assert!(!floor("2.0").reachable_by(&spec("1")));
        // Some 1.22.x meets 1.22.5: a prefix can reach it even if an old patch is installed.
        assert!(floor("1.22.5").reachable_by(&spec("1.22")));
    }

    #[test]
    fn a_floor_alone_prefers_its_own_minor_then_the_newest_newer_release() {
        let have = [
            v("1.21.13"),
            v("1.22.9"),
            v("1.22.10"),
            v("1.23.4"),
            v("1.23rc1"),
        ];
        let req = |s: &str| Request {
            spec: None,
            floor: Some(floor(s)),
        };
        assert_eq!(req("1.22").choose(&have), Some(v("1.22.10")));
        assert_eq!(req("1.22.10").choose(&have), Some(v("1.22.10")));
        assert_eq!(req("1.22.11").choose(&have), Some(v("1.23.4")));
        assert_eq!(req("1.20").choose(&have), Some(v("1.23.4")));
        assert_eq!(req("1.24").choose(&have), None);
    }

    #[test]
    fn a_spec_within_a_floor() {
        let have = [v("1.22.1"), v("1.22.10"), v("1.21.13")];
        let r = Request {
            spec: Some("1.22".parse().unwrap()),
            floor: Some(floor("1.22.5")),
        };
        assert_eq!(r.choose(&have), Some(v("1.22.10")));
        assert_eq!(r.choose(&[v("1.22.1")]), None);
        assert_eq!(r.to_string(), "1.22 (at least 1.22.5)");
    }
}
