//! One entry of Go's vulnerability database, in the OSV format (schema 1.x), read for what
//! gopin matches on: the `SEMVER` ranges of the `stdlib` and `toolchain` modules. An entry
//! that does not read as one is refused with the reason, and the caller skips it.

use serde::{Deserialize, Serialize};

use super::semver::SemVer;

/// The database's modules that are Go itself: its standard library and its commands.
pub const GO_MODULES: [&str; 2] = ["stdlib", "toolchain"];

/// A parsed entry.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub summary: String,
    /// CVE and GHSA names, each once.
    pub aliases: Vec<String>,
    /// The page that describes it (pkg.go.dev/vuln/ID).
    pub url: String,
    /// What it affects in Go's own modules.
    pub affected: Vec<Affected>,
}

/// The part of an entry about one module.
#[derive(Debug, Clone)]
pub struct Affected {
    /// `stdlib` or `toolchain`.
    pub module: String,
    /// The packages (import paths) with the vulnerable code.
    pub packages: Vec<String>,
    ranges: Vec<Range>,
}

/// One `SEMVER` range: its events, sorted by version.
#[derive(Debug, Clone)]
struct Range(Vec<Event>);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
}

#[derive(Debug, Clone)]
struct Event {
    kind: Kind,
    version: SemVer,
}

impl Range {
    /// Whether `v` is affected: the last event at or below it opened the range.
    fn contains(&self, v: &SemVer) -> bool {
        let mut affected = false;
        for e in &self.0 {
            match e.kind {
                Kind::Introduced if e.version <= *v => affected = true,
                Kind::Fixed if e.version <= *v => affected = false,
                Kind::LastAffected if e.version < *v => affected = false,
                _ => {}
            }
        }
        affected
    }

    fn fixes(&self) -> impl Iterator<Item = &SemVer> {
        self.0
            .iter()
            .filter(|e| e.kind == Kind::Fixed)
            .map(|e| &e.version)
    }
}

impl Entry {
    /// Whether Go release `v` has this vulnerability: a range of one of Go's modules holds it.
    pub fn affects(&self, v: &SemVer) -> bool {
        self.affected
            .iter()
            .flat_map(|a| &a.ranges)
            .any(|r| r.contains(v))
    }

    /// Every version its ranges name as fixed.
    pub fn fixes(&self) -> impl Iterator<Item = &SemVer> {
        self.affected
            .iter()
            .flat_map(|a| &a.ranges)
            .flat_map(Range::fixes)
    }

    /// The modules it affects, each once.
    pub fn modules(&self) -> Vec<&str> {
        let mut modules: Vec<&str> = self.affected.iter().map(|a| a.module.as_str()).collect();
        modules.dedup();
        modules
    }

    /// The packages it affects, each once.
    pub fn packages(&self) -> Vec<&str> {
        let mut packages: Vec<&str> = Vec::new();
        for p in self.affected.iter().flat_map(|a| &a.packages) {
            if !packages.contains(&p.as_str()) {
                packages.push(p);
            }
        }
        packages
    }

    /// Reads the entry the database serves as `ID/<id>.json`; an error says why it is not one.
    pub fn parse(bytes: &[u8], id: &str) -> Result<Entry, String> {
        let raw: RawEntry =
            serde_json::from_slice(bytes).map_err(|e| format!("not OSV JSON: {e}"))?;
        if raw.id != id {
            return Err(format!("it names itself '{}'", clean(&raw.id)));
        }
        let mut affected = Vec::new();
        for a in raw.affected {
            if a.package.ecosystem != "Go" || !GO_MODULES.contains(&a.package.name.as_str()) {
                continue;
            }
            let mut ranges = Vec::new();
            for r in a.ranges.into_iter().filter(|r| r.kind == "SEMVER") {
                let mut events = Vec::new();
                for e in r.events {
                    let (kind, text) =
                        match (e.introduced, e.fixed, e.last_affected) {
                            (Some(t), None, None) => (Kind::Introduced, t),
                            (None, Some(t), None) => (Kind::Fixed, t),
                            (None, None, Some(t)) => (Kind::LastAffected, t),
                            _ => return Err(
                                "a range event is not one of introduced, fixed or last_affected"
                                    .into(),
                            ),
                        };
                    let version = SemVer::parse(&text)
                        .ok_or_else(|| format!("'{}' in a range is not a version", clean(&text)))?;
                    events.push(Event { kind, version });
                }
                events.sort_by(|a, b| a.version.cmp(&b.version));
                ranges.push(Range(events));
            }
            let packages = a
                .ecosystem_specific
                .map(|s| s.imports.into_iter().map(|i| clean(&i.path)).collect())
                .unwrap_or_default();
            affected.push(Affected {
                module: a.package.name,
                packages,
                ranges,
            });
        }
        let mut aliases: Vec<String> = Vec::new();
        for alias in raw.aliases.iter().map(|a| clean(a)) {
            if !aliases.contains(&alias) {
                aliases.push(alias);
            }
        }
        // A withdrawn entry affects nothing.
        if raw.withdrawn.is_some() {
            affected.clear();
        }
        Ok(Entry {
            url: raw
                .database_specific
                .and_then(|d| d.url)
                .map(|u| clean(&u))
                .unwrap_or_else(|| format!("https://pkg.go.dev/vuln/{id}")),
            id: raw.id,
            summary: clean(&raw.summary),
            aliases,
            affected,
        })
    }
}

/// Whether `id` can be an entry's name, and so a file name and a URL path segment: `GO-2024-2963`.
pub fn is_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !id.starts_with('-')
}

/// Text from the database, made safe for a terminal: control characters become spaces.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if crate::ui::hides_text(c) { ' ' } else { c })
        .collect()
}

/// What `--json` says of one entry.
#[derive(Debug, Serialize)]
pub struct Summary<'a> {
    pub id: &'a str,
    pub summary: &'a str,
    pub aliases: &'a [String],
    pub modules: Vec<&'a str>,
    pub packages: Vec<&'a str>,
    /// The release that fixes it for the version in question.
    pub fixed: Option<crate::version::GoVersion>,
    pub url: &'a str,
}

#[derive(Deserialize)]
struct RawEntry {
    id: String,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    affected: Vec<RawAffected>,
    #[serde(default)]
    database_specific: Option<RawDatabaseSpecific>,
}

#[derive(Deserialize)]
struct RawDatabaseSpecific {
    #[serde(default)]
    url: Option<String>,
}

#[derive(Deserialize)]
struct RawAffected {
    package: RawPackage,
    #[serde(default)]
    ranges: Vec<RawRange>,
    #[serde(default)]
    ecosystem_specific: Option<RawEcosystemSpecific>,
}

#[derive(Deserialize)]
struct RawPackage {
    name: String,
    ecosystem: String,
}

#[derive(Deserialize)]
struct RawRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<RawEvent>,
}

#[derive(Deserialize)]
struct RawEvent {
    introduced: Option<String>,
    fixed: Option<String>,
    last_affected: Option<String>,
}

#[derive(Deserialize)]
struct RawEcosystemSpecific {
    #[serde(default)]
    imports: Vec<RawImport>,
}

#[derive(Deserialize)]
struct RawImport {
    path: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY_3373: &[u8] = include_bytes!("../../tests/fixtures/vulndb/ID/GO-2025-3373.json");
    const ENTRY_5026: &[u8] = include_bytes!("../../tests/fixtures/vulndb/ID/GO-2026-5026.json");

    fn v(s: &str) -> SemVer {
        SemVer::parse(s).unwrap()
    }

    #[test]
    fn ranges_with_pre_releases() {
        let e = Entry::parse(ENTRY_3373, "GO-2025-3373").unwrap();
        assert_eq!(e.aliases, ["CVE-2024-45341"]);
        assert_eq!(e.packages(), ["crypto/x509"]);
        for (version, affected) in [
            ("1.21.13", true),
            ("1.22.10", true),
            ("1.22.11", false),
            ("1.23.0-rc.1", true),
            ("1.23.4", true),
            ("1.23.5", false),
            ("1.24.0-rc.1", true),
            ("1.24.0-rc.2", false),
            ("1.24.0", false),
        ] {
            assert_eq!(e.affects(&v(version)), affected, "{version}");
        }
    }

    #[test]
    fn a_summary_cannot_move_or_reorder_the_terminal() {
        let hostile = String::from_utf8(ENTRY_3373.to_vec()).unwrap().replacen(
            "\"summary\":\"",
            "\"summary\":\"\\u001b[2J\\u202eevil ",
            1,
        );
        let e = Entry::parse(hostile.as_bytes(), "GO-2025-3373").unwrap();
        assert!(e.summary.starts_with(" [2J evil "), "{:?}", e.summary);
    }

    #[test]
    fn duplicate_aliases_and_two_packages() {
        let e = Entry::parse(ENTRY_5026, "GO-2026-5026").unwrap();
        assert_eq!(e.modules(), ["stdlib"], "golang.org/x/net is not Go itself");
        assert_eq!(e.packages(), ["net/http", "net/http/internal/http2"]);
        assert!(!e.affects(&v("1.25.13")));
        assert!(e.affects(&v("1.25.12")));
    }

    #[test]
    fn hostile_entries_are_refused() {
        let text = String::from_utf8(ENTRY_3373.to_vec()).unwrap();
        assert!(Entry::parse(&ENTRY_3373[..200], "GO-2025-3373").is_err());
        assert!(Entry::parse(ENTRY_3373, "GO-2025-9999").is_err());
        let bad_version = text.replace("\"1.22.11\"", "\"v1.22.11\"");
        let err = Entry::parse(bad_version.as_bytes(), "GO-2025-3373").unwrap_err();
        assert!(err.contains("v1.22.11"), "{err}");
        let escape = text.replace("Usage of IPv6", "\\u001b[31mUsage");
        let e = Entry::parse(escape.as_bytes(), "GO-2025-3373").unwrap();
        assert!(!e.summary.contains('\u{1b}'));
        let withdrawn = text.replace(
            "\"modified\":",
            "\"withdrawn\":\"2025-02-01T00:00:00Z\",\"modified\":",
        );
        assert!(
            !Entry::parse(withdrawn.as_bytes(), "GO-2025-3373")
                .unwrap()
                .affects(&v("1.22.10"))
        );
        assert!(is_id("GO-2024-2963"));
        for bad in ["", "../etc", "GO-2024-2963/x", "-x", "a.json"] {
            assert!(!is_id(bad), "{bad}");
        }
    }
}
