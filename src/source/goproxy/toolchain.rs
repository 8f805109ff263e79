//! How Go publishes its releases as a module: `golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64`
//! is go1.22.10 for linux/amd64, made by Go's release tooling (`cmd/distpack`) from the same
//! tree as the archive. This is how `go` itself switches toolchains, so every module proxy
//! serves Go.
//!
//! The version is `v0.0.1-<Go's name for the release>.<GOOS>-<GOARCH>`. GOARCH is Go's own
//! name ([`Platform::goarch`]): 32-bit ARM is `arm` (`linux-arm`), where go.dev's archive
//! calls it `armv6l`.

use crate::platform::Platform;
use crate::version::GoVersion;

/// The module every Go release is published as.
pub const MODULE: &str = "golang.org/toolchain";
/// The semver every toolchain version starts with.
const VERSION_PREFIX: &str = "v0.0.1-";

/// The module version of `version` for `platform`: `v0.0.1-go1.22.10.linux-amd64`.
pub fn module_version(version: &GoVersion, platform: &Platform) -> String {
    format!(
        "{VERSION_PREFIX}{version}.{}-{}",
        platform.os,
        platform.goarch()
    )
}

/// The release and platform a toolchain module version names; `None` for anything else
/// (other modules' versions, platforms gopin does not know, non-canonical spellings).
pub fn parse_module_version(s: &str) -> Option<(GoVersion, Platform)> {
    let rest = s.strip_prefix(VERSION_PREFIX)?;
    let (version, platform) = rest.rsplit_once('.')?;
    let (os, arch) = platform.split_once('-')?;
    let parsed = (version.parse().ok()?, Platform::new(os, arch).ok()?);
    // Only the spelling gopin would produce itself: `go1.21.0`, not `go1.21` or `1.21.0`.
    (module_version(&parsed.0, &parsed.1) == s).then_some(parsed)
}

/// The directory every name in the module's zip starts with:
/// `golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/`.
pub fn zip_prefix(module_version: &str) -> String {
    format!("{MODULE}@{module_version}/")
}

/// The releases a proxy's `@v/list` offers for `platform`, newest first (Go's ordering),
/// each once. Lines are versions, optionally followed by more fields; lines that are not
/// toolchain versions are skipped, as `go` skips what it cannot parse.
pub fn parse_list(body: &[u8], platform: &Platform) -> Vec<GoVersion> {
    let mut versions: Vec<GoVersion> = String::from_utf8_lossy(body)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter_map(parse_module_version)
        .filter(|(_, p)| p == platform)
        .map(|(v, _)| v)
        .collect();
    versions.sort_unstable_by(|a, b| b.cmp(a));
    versions.dedup();
    versions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().unwrap()
    }

    fn v(s: &str) -> GoVersion {
        s.parse().unwrap()
    }

    #[test]
    fn names_round_trip() {
        for (version, platform, name) in [
            ("go1.22.10", "linux/amd64", "v0.0.1-go1.22.10.linux-amd64"),
            ("go1.21.0", "darwin/arm64", "v0.0.1-go1.21.0.darwin-arm64"),
            ("go1.21rc2", "windows/386", "v0.0.1-go1.21rc2.windows-386"),
            ("go1.23.4", "linux/armv6l", "v0.0.1-go1.23.4.linux-arm"),
            ("go1.24.1", "freebsd/arm", "v0.0.1-go1.24.1.freebsd-arm"),
            ("go1.20", "linux/amd64", "v0.0.1-go1.20.linux-amd64"),
        ] {
            assert_eq!(module_version(&v(version), &p(platform)), name);
            assert_eq!(parse_module_version(name), Some((v(version), p(platform))));
        }
        assert_eq!(
            zip_prefix("v0.0.1-go1.22.10.linux-amd64"),
            "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/"
        );
        for bad in [
            "v0.0.1-go1.22.10.linux",
            "v0.0.2-go1.22.10.linux-amd64",
            "v0.0.1-1.22.10.linux-amd64",
            "v0.0.1-go1.21.linux-amd64",
            "v0.0.1-go1.22.10.linux-armv6l",
            "v0.0.1-go1.22.10.plan10-amd64",
            "v0.0.1-go1.22.10.linux-amd64.zip",
            "v1.2.3",
            "",
        ] {
            assert_eq!(parse_module_version(bad), None, "{bad}");
        }
    }

    #[test]
    fn real_records_name_real_versions() {
        let fixture = include_str!("../../../tests/fixtures/go-toolchain-sumdb-lines.txt");
        let mut seen = 0;
        for line in fixture.lines().filter(|l| !l.starts_with('#')) {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields.len(), 3, "{line}");
            assert_eq!(fields[0], MODULE);
            let version = fields[1].trim_end_matches("/go.mod");
            let (release, platform) = parse_module_version(version).expect(version);
            assert_eq!(platform, p("linux/amd64"));
            assert_eq!(module_version(&release, &platform), version);
            seen += 1;
        }
        assert_eq!(seen, 12);
    }

    #[test]
    fn lists_filter_to_the_platform_newest_first() {
        let body = b"v0.0.1-go1.21.0.linux-amd64\n\
            v0.0.1-go1.21rc2.linux-amd64 2023-07-14T00:00:00Z\n\
            v0.0.1-go1.22.10.linux-amd64\n\
            v0.0.1-go1.22.10.linux-arm64\n\
            v0.0.1-go1.22.9.linux-amd64\r\n\
            v0.0.1-go1.21.0.linux-amd64\n\
            garbage line\n\
            \n\
            v0.0.1-go1.21.13.linux-amd64\n";
        let got: Vec<String> = parse_list(body, &p("linux/amd64"))
            .iter()
            .map(|v| v.to_string())
            .collect();
        assert_eq!(
            got,
            [
                "go1.22.10",
                "go1.22.9",
                "go1.21.13",
                "go1.21.0",
                "go1.21rc2"
            ]
        );
        assert_eq!(parse_list(body, &p("linux/arm64")), vec![v("go1.22.10")]);
        assert!(parse_list(b"\xff\xfe", &p("linux/amd64")).is_empty());
    }
}
