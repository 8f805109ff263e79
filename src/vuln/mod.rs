//! Security status of Go releases (docs/security.md, "Security status"): which entries of
//! Go's vulnerability database a release is affected by, which release fixes them, and
//! whether its minor is still supported. This is release-level matching: a release is
//! affected when a `SEMVER` range of the `stdlib` or `toolchain` module contains it, whether
//! or not a program reaches the vulnerable code (govulncheck answers that).
//!
//! - [`semver`]: the database's versions and their order;
//! - [`osv`]: one entry, parsed and checked;
//! - [`db`]: fetching, caching and reading the database.

pub mod db;
pub mod osv;
pub mod semver;

use crate::config::Config;
use crate::ui;
use crate::version::GoVersion;
pub use db::Database;
use osv::Entry;
use semver::SemVer;

/// What every report of known vulnerabilities says of itself.
pub const SCOPE: &str = "matched by release (the standard library and go command of that Go), not by what a program calls: run govulncheck in a module for that";

/// One release's known vulnerabilities.
pub struct Status<'a> {
    pub version: GoVersion,
    pub entries: Vec<&'a Entry>,
    /// The lowest release of its minor that fixes them all, else the lowest of a newer minor
    /// (`None`: none affects it, or no release fixes them all yet).
    pub fixed_in: Option<GoVersion>,
}

impl Database {
    /// The entries that affect release `version`, and the release that fixes them.
    pub fn status(&self, version: &GoVersion) -> Status<'_> {
        let v = SemVer::from(version);
        let entries: Vec<&Entry> = self.entries.iter().filter(|e| e.affects(&v)).collect();
        Status {
            version: *version,
            fixed_in: fix_for(&v, &entries),
            entries,
        }
    }
}

/// The lowest stable release above `v` that none of `entries` affects. It is always one of
/// their `fixed` versions, and the lowest ones are of `v`'s own minor, so where that minor has
/// a fix for them all it is the one found.
fn fix_for(v: &SemVer, entries: &[&Entry]) -> Option<GoVersion> {
    if entries.is_empty() {
        return None;
    }
    let mut candidates: Vec<&SemVer> = entries
        .iter()
        .flat_map(|e| e.fixes())
        .filter(|f| *f > v && f.release().is_some_and(|r| r.is_stable()))
        .collect();
    candidates.sort();
    candidates.dedup();
    candidates
        .into_iter()
        .find(|c| !entries.iter().any(|e| e.affects(c)))
        .and_then(SemVer::release)
}

impl<'a> Status<'a> {
    /// Entries in the `stdlib` module, and the others (the go command, cgo: `toolchain`).
    pub fn counts(&self) -> (usize, usize) {
        let stdlib = self
            .entries
            .iter()
            .filter(|e| e.modules().contains(&"stdlib"))
            .count();
        (stdlib, self.entries.len() - stdlib)
    }

    /// "22 known vulnerabilities (18 in the standard library, 4 in the toolchain), fixed in
    /// go1.25.13", or "no known vulnerabilities".
    pub fn phrase(&self) -> String {
        if self.entries.is_empty() {
            return "no known vulnerabilities".to_string();
        }
        let (stdlib, toolchain) = self.counts();
        let fix = match self.fixed_in {
            Some(f) => format!("fixed in {f}"),
            None => "no release fixes them all yet".to_string(),
        };
        format!(
            "{} ({stdlib} in the standard library, {toolchain} in the toolchain), {fix}",
            count(self.entries.len())
        )
    }

    /// What `--json` says of each entry.
    pub fn summaries(&self) -> Vec<osv::Summary<'a>> {
        let v = SemVer::from(&self.version);
        self.entries
            .iter()
            .map(|&e| osv::Summary {
                id: &e.id,
                summary: &e.summary,
                aliases: &e.aliases,
                modules: e.modules(),
                packages: e.packages(),
                fixed: fix_for(&v, &[e]),
                url: &e.url,
            })
            .collect()
    }

    /// One line per entry, for people: `GO-2025-3373 (CVE-2024-45341) crypto/x509: Usage of …`.
    pub fn lines(&self) -> Vec<String> {
        self.summaries()
            .iter()
            .map(|s| {
                let aliases = if s.aliases.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", s.aliases.join(", "))
                };
                let fixed = s
                    .fixed
                    .map(|f| format!(" [fixed in {f}]"))
                    .unwrap_or_default();
                format!(
                    "{}{aliases} {}: {}{fixed}",
                    s.id,
                    s.packages.join(", "),
                    s.summary
                )
            })
            .collect()
    }
}

/// "1 known vulnerability", "22 known vulnerabilities".
pub fn count(n: usize) -> String {
    let plural = if n == 1 { "y" } else { "ies" };
    format!("{n} known vulnerabilit{plural}")
}

/// The two newest minors among `releases`' stable ones, newest first: Go's supported ones.
pub fn supported_minors(releases: impl IntoIterator<Item = GoVersion>) -> Vec<(u32, u32)> {
    let mut minors: Vec<(u32, u32)> = releases
        .into_iter()
        .filter(GoVersion::is_stable)
        .map(|v| (v.major, v.minor))
        .collect();
    minors.sort_by(|a, b| b.cmp(a));
    minors.dedup();
    minors.truncate(2);
    minors
}

/// Whether `v`'s minor is supported: one of the two newest, or newer than them (a
/// pre-release of the next). Unknown (no release listed) counts as supported.
pub fn is_supported(v: &GoVersion, minors: &[(u32, u32)]) -> bool {
    minors
        .last()
        .is_none_or(|oldest| (v.major, v.minor) >= *oldest)
}

/// "1.22 is unsupported (Go supports only 1.26 and 1.25)".
pub fn unsupported_phrase(v: &GoVersion, minors: &[(u32, u32)]) -> String {
    let named: Vec<String> = minors.iter().map(|(a, b)| format!("{a}.{b}")).collect();
    format!(
        "{}.{} is unsupported (Go supports only {})",
        v.major,
        v.minor,
        named.join(" and ")
    )
}

/// The database for a command that reports other things too: a failure is a warning, and the
/// report goes on without security status.
pub fn load_or_warn(config: &Config, refresh: bool) -> Option<Database> {
    match db::load(config, refresh) {
        Ok(db) => db,
        Err(e) => {
            ui::warn(&format!("no security status: {e}"));
            None
        }
    }
}

/// The note under a report: where the data came from, and what the matching means.
pub fn source_note(db: &Database) -> String {
    let modified = db
        .modified
        .as_deref()
        .map(|m| format!(", newest entry {m}"))
        .unwrap_or_default();
    let checked = db
        .checked
        .map(|age| {
            format!(
                ", checked {} ago",
                crate::source::godev::index::human_age(age)
            )
        })
        .unwrap_or_default();
    format!(
        "known vulnerabilities: Go's vulnerability database at {} ({} entries for Go{modified}{checked}), {SCOPE}",
        db.url,
        db.entries.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    /// Every entry of the fixture (tests/fixtures/vulndb, a copy of real entries).
    fn fixture() -> Database {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/vulndb/ID");
        let mut entries = Vec::new();
        for file in std::fs::read_dir(dir).unwrap() {
            let path = file.unwrap().path();
            let name = path.file_name().unwrap().to_str().unwrap();
            if let Some(id) = name.strip_suffix(".json") {
                entries.push(Entry::parse(&std::fs::read(&path).unwrap(), id).unwrap());
            }
        }
        assert_eq!(entries.len(), 27);
        Database {
            url: "fixture".into(),
            modified: None,
            checked: None,
            entries,
        }
    }

    fn ids(status: &Status) -> Vec<String> {
        let mut ids: Vec<String> = status.entries.iter().map(|e| e.id.clone()).collect();
        ids.sort();
        ids
    }

    /// The fixture README's table: which entries affect go1.21.13 and go1.22.10.
    #[test]
    fn the_fixture_oracle() {
        let db = fixture();
        let all: Vec<&str> = vec![
            "GO-2024-3105",
            "GO-2024-3106",
            "GO-2024-3107",
            "GO-2025-3373",
            "GO-2025-3420",
            "GO-2025-3447",
            "GO-2025-3503",
            "GO-2025-3563",
            "GO-2025-3750",
            "GO-2025-3751",
            "GO-2025-3828",
            "GO-2025-3849",
            "GO-2025-3956",
            "GO-2025-4006",
            "GO-2025-4007",
            "GO-2025-4008",
            "GO-2025-4010",
            "GO-2025-4155",
            "GO-2026-4337",
            "GO-2026-4339",
            "GO-2026-4403",
            "GO-2026-4433",
            "GO-2026-4603",
            "GO-2026-4871",
            "GO-2026-5026",
        ];
        let old = db.status(&v("go1.21.13"));
        assert_eq!(ids(&old), all);
        assert_eq!(old.counts(), (21, 4));
        let newer = db.status(&v("go1.22.10"));
        assert_eq!(ids(&newer), all[3..]);
        assert_eq!(newer.counts(), (18, 4));
        // Neither 1.21 nor 1.22 has a fix for them all: the lowest newer minor that does.
        assert_eq!(old.fixed_in, Some(v("go1.25.13")));
        assert_eq!(newer.fixed_in, Some(v("go1.25.13")));
        let fixed = |s: &Status, id: &str| {
            s.summaries()
                .into_iter()
                .find(|x| x.id == id)
                .unwrap()
                .fixed
        };
        assert_eq!(fixed(&newer, "GO-2025-3373"), Some(v("go1.22.11")));
        assert_eq!(fixed(&newer, "GO-2025-3503"), Some(v("go1.23.7")));
        // Where the minor has a fix for them all, it is that one.
        assert_eq!(db.status(&v("go1.25.6")).fixed_in, Some(v("go1.25.13")));
        assert_eq!(db.status(&v("go1.26.0")).fixed_in, Some(v("go1.26.6")));
        assert_eq!(db.status(&v("go1.26rc1")).fixed_in, Some(v("go1.26.6")));
        let clean = db.status(&v("go1.27.0"));
        assert!(clean.entries.is_empty() && clean.fixed_in.is_none());
        assert_eq!(clean.phrase(), "no known vulnerabilities");
        // A pre-release: 1.24rc2 has GO-2025-3373's fix, rc1 does not.
        let has = |s: &str, id: &str| db.status(&v(s)).entries.iter().any(|e| e.id == id);
        assert!(has("go1.24rc1", "GO-2025-3373"));
        assert!(!has("go1.24rc2", "GO-2025-3373"));
    }

    #[test]
    fn supported_is_the_two_newest_minors() {
        let minors =
            supported_minors(["go1.24.1", "go1.25.0", "go1.26rc1", "go1.25.3", "go1.23.4"].map(v));
        assert_eq!(minors, [(1, 25), (1, 24)]);
        assert!(is_supported(&v("go1.24.0"), &minors));
        assert!(is_supported(&v("go1.26rc1"), &minors));
        assert!(!is_supported(&v("go1.23.9"), &minors));
        assert!(is_supported(&v("go1.2"), &[]));
        assert_eq!(
            unsupported_phrase(&v("go1.22.10"), &minors),
            "1.22 is unsupported (Go supports only 1.25 and 1.24)"
        );
    }
}
