//! The selected version's security status (docs/security.md, "Security status"): its known
//! vulnerabilities and whether its minor is still supported. A warning, never a problem: the
//! chain works, and the fix (a newer release) is the user's choice.

use super::Check;
use crate::config::Config;
use crate::platform::Platform;
use crate::version::GoVersion;
use crate::vuln;

pub fn check(config: &Config, platform: &Platform, version: &GoVersion) -> Check {
    let db = match vuln::db::load(config, false) {
        Ok(Some(db)) => db,
        Ok(None) => {
            return Check::ok("security", "not checked: vulndb is off");
        }
        Err(e) => {
            return Check::warning(
                "security",
                format!("cannot tell the known vulnerabilities of {version}: {e}"),
                "run `gopin outdated --refresh` once the database can be reached",
            );
        }
    };
    let status = db.status(version);
    // The release index says which minors are supported; without it, that is left unsaid.
    let minors = crate::source::open(config, false)
        .and_then(|source| source.releases(platform))
        .map(|offered| vuln::supported_minors(offered.versions()))
        .unwrap_or_default();
    let supported = vuln::is_supported(version, &minors);
    let mut detail = format!("{version} (selected here) has {}", status.phrase());
    if !supported {
        detail.push_str(&format!("; {}", vuln::unsupported_phrase(version, &minors)));
    }
    detail.push_str(&format!(" ({})", vuln::SCOPE));
    match (status.entries.is_empty(), status.fixed_in) {
        (true, _) if supported => Check::ok("security", detail),
        (_, Some(fix)) => Check::warning(
            "security",
            detail,
            format!(
                "pin {fix} or newer (`gopin use {}`); `gopin outdated --json` lists the entries",
                fix.to_string().trim_start_matches("go")
            ),
        ),
        _ => Check::warning(
            "security",
            detail,
            "move to a supported minor: `gopin ls-remote --vuln --latest-patch`",
        ),
    }
}
