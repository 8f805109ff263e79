//! Go's names for operating systems and architectures, and the host's.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// An `os/arch` pair in Go's spelling (`linux/amd64`, `darwin/arm64`, `linux/armv6l`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Platform {
    pub os: String,
    pub arch: String,
}

#[derive(Debug, Error)]
pub enum PlatformError {
    #[error("'{0}' is not an operating system Go ships for: use one of {OSES}")]
    UnknownOs(String),
    #[error("'{0}' is not an architecture Go ships for: use one of {ARCHES}")]
    UnknownArch(String),
}

const OSES: &str =
    "linux, darwin, windows, freebsd, netbsd, openbsd, dragonfly, illumos, solaris, aix, plan9";
const ARCHES: &str = "amd64, arm64, 386, armv6l, ppc64le, ppc64, s390x, riscv64, loong64, mips, mipsle, mips64, mips64le";

/// Maps the many names an OS goes by (Rust's `std::env::consts::OS`, `uname -s`) to Go's.
pub fn normalize_os(name: &str) -> Result<String, PlatformError> {
    let lower = name.to_ascii_lowercase();
    let go = match lower.as_str() {
        "linux" => "linux",
        "darwin" | "macos" => "darwin",
        "windows" => "windows",
        "freebsd" => "freebsd",
        "netbsd" => "netbsd",
        "openbsd" => "openbsd",
        "dragonfly" => "dragonfly",
        "illumos" => "illumos",
        "solaris" | "sunos" => "solaris",
        "aix" => "aix",
        "plan9" => "plan9",
        _ => return Err(PlatformError::UnknownOs(name.to_string())),
    };
    Ok(go.to_string())
}

/// Maps the many names a CPU goes by (`uname -m`, Rust's `std::env::consts::ARCH`) to the
/// architecture Go publishes archives for on `os`. 32-bit ARM is `armv6l` on Linux (go.dev's
/// only Linux ARM build, which runs on armv6 and newer) and `arm` everywhere else.
pub fn normalize_arch(name: &str, os: &str) -> Result<String, PlatformError> {
    let lower = name.to_ascii_lowercase();
    let go =
        match lower.as_str() {
            "amd64" | "x86_64" | "x64" => "amd64",
            "arm64" | "aarch64" | "arm64e" => "arm64",
            "386" | "i386" | "i486" | "i586" | "i686" | "x86" => "386",
            "arm" | "armv6l" | "armv7l" | "armv7" | "armv8l" | "armhf" | "arm6" => {
                if os == "linux" { "armv6l" } else { "arm" }
            }
            "ppc64le" | "powerpc64le" => "ppc64le",
            "ppc64" | "powerpc64" => "ppc64",
            "s390x" => "s390x",
            "riscv64" | "riscv64gc" => "riscv64",
            "loong64" | "loongarch64" => "loong64",
            "mips" => "mips",
            "mipsle" | "mipsel" => "mipsle",
            "mips64" => "mips64",
            "mips64le" | "mips64el" => "mips64le",
            _ => return Err(PlatformError::UnknownArch(name.to_string())),
        };
    Ok(go.to_string())
}

impl Platform {
    pub fn new(os: &str, arch: &str) -> Result<Self, PlatformError> {
        let os = normalize_os(os)?;
        let arch = normalize_arch(arch, &os)?;
        Ok(Platform { os, arch })
    }

    /// The platform this process runs on, unless `GOPIN_OS`/`GOPIN_ARCH` say otherwise (for
    /// example an amd64 shell under Rosetta that should still use arm64 Go). Empty is unset,
    /// as for Go's `GOOS` and `GOARCH`; a value that is not UTF-8 is named in the error.
    pub fn host() -> Result<Self, PlatformError> {
        let var = |name: &str, host: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map_or_else(|| host.to_string(), |v| v.to_string_lossy().into_owned())
        };
        let os = var("GOPIN_OS", std::env::consts::OS);
        let arch = var("GOPIN_ARCH", std::env::consts::ARCH);
        Platform::new(&os, &arch)
    }

    /// The `go` command inside a GOROOT for this platform.
    pub fn go_binary(&self) -> &'static str {
        if self.os == "windows" {
            "bin/go.exe"
        } else {
            "bin/go"
        }
    }

    /// The platform's part of a store or archive name: `linux-amd64`.
    pub fn slug(&self) -> String {
        format!("{}-{}", self.os, self.arch)
    }

    /// GOARCH as the go command spells it, where go.dev's archive names differ: 32-bit ARM on
    /// Linux is `armv6l` in `arch` and `arm` here, as in `pkg/tool/linux_arm` and the toolchain
    /// module `v0.0.1-go1.22.10.linux-arm`. The one place that maps the two spellings.
    pub fn goarch(&self) -> &str {
        match self.arch.as_str() {
            "armv6l" => "arm",
            other => other,
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.arch)
    }
}

impl FromStr for Platform {
    type Err = PlatformError;

    /// Parses `os/arch` or `os-arch`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (os, arch) = s
            .split_once(['/', '-'])
            .ok_or_else(|| PlatformError::UnknownOs(s.to_string()))?;
        Platform::new(os, arch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uname_names_map_to_go_names() {
        for (uname, go) in [
            ("x86_64", "amd64"),
            ("aarch64", "arm64"),
            ("armv7l", "armv6l"),
            ("armv6l", "armv6l"),
            ("i686", "386"),
            ("ppc64le", "ppc64le"),
            ("riscv64", "riscv64"),
        ] {
            assert_eq!(normalize_arch(uname, "linux").unwrap(), go);
        }
        assert_eq!(normalize_os("macos").unwrap(), "darwin");
        assert_eq!(normalize_arch("armv7l", "freebsd").unwrap(), "arm");
        assert!(normalize_arch("bootstrap", "linux").is_err());
        assert!(normalize_os("4").is_err());
    }

    #[test]
    fn goarch_is_go_s_own_spelling() {
        assert_eq!(Platform::new("linux", "armv7l").unwrap().goarch(), "arm");
        assert_eq!(Platform::new("freebsd", "arm").unwrap().goarch(), "arm");
        assert_eq!(Platform::new("linux", "x86_64").unwrap().goarch(), "amd64");
    }

    #[test]
    fn parses_both_separators() {
        assert_eq!(
            "linux/arm64".parse::<Platform>().unwrap().slug(),
            "linux-arm64"
        );
        assert_eq!(
            "darwin-amd64".parse::<Platform>().unwrap().to_string(),
            "darwin/amd64"
        );
    }
}
