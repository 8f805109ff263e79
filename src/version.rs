//! Go version numbers and the version specs users type or pin.
//!
//! [`GoVersion`] follows Go's own ordering (`internal/gover`, `go/version`): betas sort before
//! release candidates, which sort before the release; `go1.20` and `go1.20.0` are the same
//! version; every component compares as a number. [`VersionSpec`] is what a user may type:
//! an exact version, a `major[.minor]` prefix, or `latest`.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// The longest spec gopin accepts; anything longer is certainly not a Go version.
const MAX_SPEC_LEN: usize = 32;

/// A pre-release tag; the derived order is Go's (`beta < rc < release`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Beta(u32),
    Rc(u32),
    Release,
}

/// A parsed Go release version such as `go1.22.10`, `go1.21rc2` or `go1.20`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GoVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
    pub stage: Stage,
}

#[derive(Debug, Error, PartialEq, Eq)]
#[error(
    "'{input}' is not a Go version: expected a version such as 1.22.10, 1.22, 1, latest, stable, oldstable or 1.23rc1"
)]
pub struct ParseVersionError {
    pub input: String,
}

impl ParseVersionError {
    fn new(input: &str) -> Self {
        // Never echo a huge or binary value back verbatim.
        let mut shown: String = input.chars().take(40).collect();
        shown = shown.escape_debug().to_string();
        if input.chars().count() > 40 {
            shown.push('…');
        }
        ParseVersionError { input: shown }
    }
}

/// Parses a decimal component with no sign, no leading zeros (other than `0` itself) and no
/// overflow, as Go does.
fn number(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || (s.len() > 1 && s.starts_with('0'))
    {
        return None;
    }
    s.parse().ok()
}

/// Splits `s` at the first byte that is not an ASCII digit.
fn leading_digits(s: &str) -> (&str, &str) {
    let end = s
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len());
    s.split_at(end)
}

/// Parses a pre-release suffix such as `rc1` or `beta2`; the empty string is the release.
fn stage(s: &str) -> Option<Stage> {
    if s.is_empty() {
        return Some(Stage::Release);
    }
    if let Some(n) = s.strip_prefix("rc") {
        return number(n).filter(|&n| n > 0).map(Stage::Rc);
    }
    if let Some(n) = s.strip_prefix("beta") {
        return number(n).filter(|&n| n > 0).map(Stage::Beta);
    }
    None
}

/// Strips the optional `go` or `v` in front of a version.
fn strip_prefix(s: &str) -> &str {
    s.strip_prefix("go")
        .or_else(|| s.strip_prefix('v'))
        .unwrap_or(s)
}

impl GoVersion {
    pub const fn new(major: u32, minor: u32, patch: u32) -> Self {
        GoVersion {
            major,
            minor,
            patch,
            stage: Stage::Release,
        }
    }

    /// Whether this is a final release (not a beta or release candidate).
    pub fn is_stable(&self) -> bool {
        self.stage == Stage::Release
    }

    /// Parses the body of a version (after any `go`/`v`): `1`, `1.20`, `1.20.3`, `1.21rc1`,
    /// `1.9.2rc2` (a real, oddly named release). Returns whether the patch number was written.
    fn parse_body(s: &str) -> Option<(GoVersion, bool)> {
        let (major, rest) = leading_digits(s);
        let major = number(major)?;
        if rest.is_empty() {
            return Some((GoVersion::new(major, 0, 0), false));
        }
        let rest = rest.strip_prefix('.')?;
        let (minor, rest) = leading_digits(rest);
        let minor = number(minor)?;
        let (patch, rest, has_patch) = match rest.strip_prefix('.') {
            Some(rest) => {
                let (patch, rest) = leading_digits(rest);
                (number(patch)?, rest, true)
            }
            None => (0, rest, false),
        };
        let stage = stage(rest)?;
        Some((
            GoVersion {
                major,
                minor,
                patch,
                stage,
            },
            has_patch,
        ))
    }
}

impl FromStr for GoVersion {
    type Err = ParseVersionError;

    /// Parses an exact version with an optional `go`/`v` in front. `1.22` here means the
    /// release `go1.22` (= 1.22.0), as in Go's own names; user input goes through
    /// [`VersionSpec`], where two numbers are a prefix instead.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() > MAX_SPEC_LEN {
            return Err(ParseVersionError::new(s));
        }
        GoVersion::parse_body(strip_prefix(s))
            .map(|(v, _)| v)
            .ok_or_else(|| ParseVersionError::new(s))
    }
}

impl fmt::Display for GoVersion {
    /// Go's canonical name: `go1.22.10`, `go1.21.0`, `go1.20` (no `.0` before 1.21),
    /// `go1.21rc2`, `go1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "go{}", self.major)?;
        let before_1_21 = (self.major, self.minor) < (1, 21);
        if self.minor == 0 && self.patch == 0 && self.stage == Stage::Release && before_1_21 {
            return Ok(());
        }
        write!(f, ".{}", self.minor)?;
        let show_patch = self.patch != 0 || (self.stage == Stage::Release && !before_1_21);
        if show_patch {
            write!(f, ".{}", self.patch)?;
        }
        match self.stage {
            Stage::Beta(n) => write!(f, "beta{n}"),
            Stage::Rc(n) => write!(f, "rc{n}"),
            Stage::Release => Ok(()),
        }
    }
}

impl serde::Serialize for GoVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for GoVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a user asks for: an exact version, a prefix, or a release named by its place among
/// the others (`latest`, `stable`, `oldstable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VersionSpec {
    /// Three numbers, or any pre-release: `1.22.10`, `1.20.0` (= `go1.20`), `1.23rc1`.
    Exact(GoVersion),
    /// `1.22` (newest stable 1.22.x) or `1` (newest stable 1.x).
    Prefix { major: u32, minor: Option<u32> },
    /// The newest stable release.
    Latest,
    /// setup-go's `stable`: the newest release of the newest minor (the same as `latest`,
    /// under the name CI files use).
    Stable,
    /// setup-go's `oldstable`: the newest release of the minor before the newest one.
    OldStable,
}

impl VersionSpec {
    /// Whether `v` falls under this spec when listing or removing rather than selecting: a
    /// prefix covers its whole line, pre-releases included (`1.23` covers `go1.23rc1`).
    pub fn covers(&self, v: &GoVersion) -> bool {
        match *self {
            VersionSpec::Prefix { major, minor } => {
                v.major == major && minor.is_none_or(|m| m == v.minor)
            }
            _ => self.matches(v),
        }
    }

    /// Whether `v` is a candidate for this spec, judged on `v` alone. Prefixes, `latest` and
    /// `stable` only ever match stable releases (the newest match is the one meant);
    /// pre-releases must be named exactly. `oldstable` matches nothing here, because no
    /// version is `oldstable` by itself: a caller that picks with `matches` finds nothing
    /// rather than the wrong release, and [`VersionSpec::best`] decides it.
    pub fn matches(&self, v: &GoVersion) -> bool {
        match *self {
            VersionSpec::Exact(want) => want == *v,
            VersionSpec::Prefix { major, minor } => {
                v.is_stable() && v.major == major && minor.is_none_or(|m| m == v.minor)
            }
            VersionSpec::Latest | VersionSpec::Stable => v.is_stable(),
            VersionSpec::OldStable => false,
        }
    }

    /// The version this spec picks out of `candidates` (in any order, duplicates allowed):
    /// the exact one, or the newest stable release that matches; `oldstable` is decided
    /// over the candidates themselves (the newest stable release of the second-newest minor
    /// among them), as setup-go decides it over the release manifest.
    pub fn best(&self, candidates: &[GoVersion]) -> Option<GoVersion> {
        let newest = |keep: &dyn Fn(&GoVersion) -> bool| {
            candidates.iter().filter(|v| keep(v)).max().copied()
        };
        match self {
            VersionSpec::OldStable => {
                let stable = VersionSpec::Stable.best(candidates)?;
                newest(&|v| v.is_stable() && (v.major, v.minor) < (stable.major, stable.minor))
            }
            _ => newest(&|v| self.matches(v)),
        }
    }

    /// Whether the version this spec names depends on which others exist (`latest`,
    /// `stable`, `oldstable`), rather than on the version alone.
    pub fn is_relative(&self) -> bool {
        matches!(
            self,
            VersionSpec::Latest | VersionSpec::Stable | VersionSpec::OldStable
        )
    }
}

impl FromStr for VersionSpec {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "latest" => return Ok(VersionSpec::Latest),
            "stable" => return Ok(VersionSpec::Stable),
            "oldstable" => return Ok(VersionSpec::OldStable),
            _ => {}
        }
        if s.len() > MAX_SPEC_LEN {
            return Err(ParseVersionError::new(s));
        }
        let (v, has_patch) =
            GoVersion::parse_body(strip_prefix(s)).ok_or_else(|| ParseVersionError::new(s))?;
        let dots = strip_prefix(s).bytes().filter(|&b| b == b'.').count();
        Ok(if has_patch || !v.is_stable() {
            VersionSpec::Exact(v)
        } else if dots == 1 {
            VersionSpec::Prefix {
                major: v.major,
                minor: Some(v.minor),
            }
        } else {
            VersionSpec::Prefix {
                major: v.major,
                minor: None,
            }
        })
    }
}

impl fmt::Display for VersionSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionSpec::Exact(v) => v.fmt(f),
            VersionSpec::Prefix {
                major,
                minor: Some(minor),
            } => write!(f, "{major}.{minor}"),
            VersionSpec::Prefix { major, minor: None } => write!(f, "{major}"),
            VersionSpec::Latest => f.write_str("latest"),
            VersionSpec::Stable => f.write_str("stable"),
            VersionSpec::OldStable => f.write_str("oldstable"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn go_ordering() {
        let ordered = [
            "go1",
            "go1.0.1",
            "go1.9.2rc2",
            "go1.9.2",
            "go1.20rc3",
            "go1.20",
            "go1.20.1",
            "go1.20.14",
            "go1.21beta1",
            "go1.21rc1",
            "go1.21rc2",
            "go1.21.0",
            "go1.21.1",
            "go1.100.0",
            "go2",
        ];
        for pair in ordered.windows(2) {
            assert!(v(pair[0]) < v(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        assert_eq!(v("go1.20"), v("1.20.0"));
        assert_eq!(v("v1.2.3"), v("1.2.3"));
    }

    #[test]
    fn canonical_names_round_trip() {
        for name in [
            "go1",
            "go1.20",
            "go1.20.14",
            "go1.21.0",
            "go1.21rc2",
            "go1.23beta1",
            "go1.9.2rc2",
            "go1.22.10",
        ] {
            assert_eq!(v(name).to_string(), name);
        }
        assert_eq!(v("1.20.0").to_string(), "go1.20");
    }

    #[test]
    fn rejects_malformed_versions() {
        for bad in [
            "",
            "go",
            "1.",
            "1..2",
            "01.2",
            "1.02",
            "1.2.",
            "1.2.3.4",
            "1.21rc",
            "1.21rc0",
            "1.21alpha1",
            "-1.2",
            "+1.2",
            "1.2 ",
            "1.2;rm -rf /",
            "$(reboot)",
            "1.99999999999",
            "latest1",
            "go1.22.10.linux-amd64",
        ] {
            assert!(bad.parse::<GoVersion>().is_err(), "{bad:?} parsed");
            assert!(
                bad.parse::<VersionSpec>().is_err(),
                "{bad:?} parsed as spec"
            );
        }
    }

    #[test]
    fn spec_grammar() {
        use VersionSpec::*;
        let spec = |s: &str| s.parse::<VersionSpec>().unwrap();
        assert_eq!(spec("1.22.10"), Exact(GoVersion::new(1, 22, 10)));
        assert_eq!(spec("go1.22.10"), Exact(GoVersion::new(1, 22, 10)));
        assert_eq!(spec("v1.22.10"), Exact(GoVersion::new(1, 22, 10)));
        assert_eq!(
            spec("1.22"),
            Prefix {
                major: 1,
                minor: Some(22)
            }
        );
        assert_eq!(
            spec("go1"),
            Prefix {
                major: 1,
                minor: None
            }
        );
        assert_eq!(spec("latest"), Latest);
        assert_eq!(spec("stable"), Stable);
        assert_eq!(spec("oldstable"), OldStable);
        for name in [
            "latest",
            "stable",
            "oldstable",
            "1.22",
            "1",
            "go1.22.10",
            "go1.23rc1",
        ] {
            assert_eq!(spec(name).to_string(), name);
        }
        for bad in ["Stable", "old-stable", "gostable", "vlatest", "stable1"] {
            assert!(bad.parse::<VersionSpec>().is_err(), "{bad:?} parsed");
        }
        assert_eq!(spec("1.23rc1"), Exact(v("go1.23rc1")));
        assert_eq!(spec("1.20.0"), Exact(v("go1.20")));
    }

    #[test]
    fn prefixes_compare_numbers_not_strings() {
        let have = [v("1.20.1"), v("1.20.14"), v("1.2.9"), v("1.21rc1")];
        let best = |spec: &VersionSpec| spec.best(&have);
        let exact: VersionSpec = "1.20.1".parse().unwrap();
        assert_eq!(best(&exact), Some(v("1.20.1")));
        let prefix: VersionSpec = "1.20".parse().unwrap();
        assert_eq!(best(&prefix), Some(v("1.20.14")));
        let minor2: VersionSpec = "1.2".parse().unwrap();
        assert_eq!(best(&minor2), Some(v("1.2.9")));
        let rc_line: VersionSpec = "1.21".parse().unwrap();
        assert_eq!(best(&rc_line), None, "prefixes skip pre-releases");
        assert!(rc_line.covers(&v("1.21rc1")), "but cover them when listing");
        assert!(!minor2.covers(&v("1.20.1")));
    }

    #[test]
    fn best_picks_for_every_kind_of_spec() {
        let spec = |s: &str| s.parse::<VersionSpec>().unwrap();
        // Unsorted, with duplicates and pre-releases, as a store listing or an index may be.
        let have = [
            v("1.21.13"),
            v("1.22.10"),
            v("1.23rc1"),
            v("1.22.2"),
            v("1.20.14"),
            v("1.22.10"),
            v("1.21.0"),
        ];
        let pick = |s: &str| spec(s).best(&have).map(|v| v.to_string());
        assert_eq!(pick("stable").as_deref(), Some("go1.22.10"));
        assert_eq!(pick("latest").as_deref(), Some("go1.22.10"));
        assert_eq!(
            pick("oldstable").as_deref(),
            Some("go1.21.13"),
            "the newest minor is 1.22: a 1.23 pre-release is not a release of it"
        );
        assert_eq!(pick("1.21").as_deref(), Some("go1.21.13"));
        assert_eq!(pick("1").as_deref(), Some("go1.22.10"));
        assert_eq!(pick("1.23rc1").as_deref(), Some("go1.23rc1"));
        assert_eq!(pick("1.22.2").as_deref(), Some("go1.22.2"));
        assert_eq!(pick("1.22.3"), None);
        assert_eq!(pick("1.19"), None);
        // oldstable needs two minors; it crosses a major boundary like any other.
        assert_eq!(spec("oldstable").best(&[v("1.22.1"), v("1.22.0")]), None);
        assert_eq!(spec("oldstable").best(&[]), None);
        assert_eq!(spec("stable").best(&[v("1.23rc1")]), None);
        assert_eq!(
            spec("oldstable").best(&[v("2.0.1"), v("1.99.3"), v("1.99.4")]),
            Some(v("1.99.4"))
        );
        assert!(spec("oldstable").is_relative() && !spec("1.22").is_relative());
        assert!(
            have.iter().all(|v| !spec("oldstable").matches(v)),
            "no version is oldstable on its own"
        );
    }
}
