//! What a Go binary says about how it was built, read without running it and without Go.
//!
//! Since Go 1.13 the linker leaves a 32-byte header behind the marker `\xff Go buildinf:`
//! (16-byte aligned, in `.go.buildinfo` on ELF, `__go_buildinfo` on Mach-O, else near the
//! start of the first writable data section): byte 14 is the pointer size, byte 15 the flags
//! (bit 0 big-endian, bit 1 "strings inline"). Since Go 1.18 the toolchain version and the
//! module information follow the header as two varint-length-prefixed strings; before that
//! the header holds the addresses of two Go string headers (pointer, length), which point in
//! turn at the bytes. The module information is `debug.BuildInfo`'s text form (`path`, `mod`,
//! `dep`, `build KEY=VALUE` lines) between two 16-byte sentinels. The object formats
//! themselves (sections, segments, addresses) are the `object` crate's job.

use std::io::Read;
use std::path::{Path, PathBuf};

use object::{Object, ObjectSection, ObjectSegment, SectionKind};
use thiserror::Error;

use crate::ui::shown;
use crate::userfile::{self, UserFileError};
use crate::version::GoVersion;

/// Binaries larger than this are refused (the largest real Go binaries are a few hundred MB).
const MAX_BINARY_BYTES: u64 = 2 << 30;
const MAGIC: &[u8; 14] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
const ALIGN: usize = 16;
/// Section names the Go linker gives the blob.
const SECTION_NAMES: [&str; 2] = [".go.buildinfo", "__go_buildinfo"];
/// No real version string comes near this; a longer one is damage, not a version.
const MAX_VERSION_LEN: usize = 1024;

/// The build information of one Go binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildInfo {
    /// The toolchain as the binary names it: `go1.22.10`, `go1.22.10 X:boringcrypto`,
    /// `devel go1.24-0123abcd …`. Text from the file: escape it before printing.
    pub go_version: String,
    /// The main package's import path (absent for binaries built outside module mode).
    pub path: Option<String>,
    /// The main module's path and version.
    pub main: Option<(String, String)>,
    /// The `build` settings in the binary's order (`-trimpath`, `CGO_ENABLED`, `GOOS`,
    /// `vcs.revision`, …); empty before Go 1.18, which did not record them.
    pub settings: Vec<(String, String)>,
    /// The dependencies the main module's `replace` directives swapped: each `=>` line.
    pub replaces: Vec<Replace>,
}

/// One `replace` the build applied: `module` replaced by `path` at `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub module: String,
    pub path: String,
    /// Empty for a local directory (`=> ../fork`), which has no version.
    pub version: String,
}

impl Replace {
    /// Whether the replacement is a directory on the building machine, not a module version.
    pub fn is_local(&self) -> bool {
        self.version.is_empty()
    }
}

impl BuildInfo {
    /// The value of one build setting.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The Go release that built the binary, if it was one: the first word of the version,
    /// without a vendor's `-suffix` (as `go` reads toolchain names); `None` for a
    /// development build or anything else that is not a release name.
    pub fn release(&self) -> Option<GoVersion> {
        let word = self.go_version.split_whitespace().next()?;
        let name = word.split('-').next()?;
        name.starts_with("go").then(|| name.parse().ok())?
    }
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum BuildInfoError {
    #[error(transparent)]
    Unreadable(#[from] UserFileError),
    #[error("{} {problem}", shown(path))]
    Invalid { path: PathBuf, problem: Problem },
}

/// Why a file yields no build information.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum Problem {
    #[error("does not exist")]
    Missing,
    #[error("is a directory, not a binary")]
    Directory,
    #[error("is empty (0 bytes), not a Go binary")]
    Empty,
    #[error("is not an executable in a format gopin reads (ELF, Mach-O or PE), so not a Go binary")]
    UnknownFormat,
    #[error("is a damaged or truncated {format} file ({message}): rebuild it, or copy it again")]
    Damaged {
        format: &'static str,
        message: String,
    },
    #[error(
        "is not a Go binary: this {format} file holds no Go build info (every binary built by Go 1.13 or later has it)"
    )]
    NotGo { format: &'static str },
    #[error("holds damaged Go build info ({0}): rebuild it")]
    BadBlob(&'static str),
}

/// Reads the build information of the binary at `path`. Its first bytes are read first: a
/// file that does not start as an executable does (ELF, Mach-O or PE) is refused from them,
/// whatever its size, and only an executable is read whole, up to [`MAX_BINARY_BYTES`].
pub fn read(path: &Path) -> Result<BuildInfo, BuildInfoError> {
    let invalid = |problem| BuildInfoError::Invalid {
        path: path.to_path_buf(),
        problem,
    };
    let Some((file, meta)) = userfile::open(path)? else {
        return Err(invalid(if path.is_dir() {
            Problem::Directory
        } else {
            Problem::Missing
        }));
    };
    let io_error = |e: std::io::Error| UserFileError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let mut head = Vec::with_capacity(HEAD_LEN);
    (&file)
        .take(HEAD_LEN as u64)
        .read_to_end(&mut head)
        .map_err(io_error)?;
    if head.is_empty() {
        return Err(invalid(Problem::Empty));
    }
    if claimed_format(&head).is_none() {
        return Err(invalid(Problem::UnknownFormat));
    }
    if meta.len() > MAX_BINARY_BYTES {
        return Err(UserFileError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_BINARY_BYTES,
        }
        .into());
    }
    let mut bytes = head;
    (&file)
        .take(MAX_BINARY_BYTES + 1 - bytes.len() as u64)
        .read_to_end(&mut bytes)
        .map_err(io_error)?;
    if bytes.len() as u64 > MAX_BINARY_BYTES {
        return Err(UserFileError::TooLarge {
            path: path.to_path_buf(),
            limit: MAX_BINARY_BYTES,
        }
        .into());
    }
    parse(&bytes).map_err(invalid)
}

/// Enough of a file's start to tell the object formats apart.
const HEAD_LEN: usize = 64;

/// The name of the object format `data` claims to be, from its first bytes.
fn claimed_format(data: &[u8]) -> Option<&'static str> {
    match data {
        [0x7f, b'E', b'L', b'F', ..] => Some("ELF"),
        [b'M', b'Z', ..] => Some("PE"),
        [0xfe, 0xed, 0xfa, 0xce | 0xcf, ..] | [0xce | 0xcf, 0xfa, 0xed, 0xfe, ..] => Some("Mach-O"),
        _ => None,
    }
}

/// The build information in the bytes of an executable.
pub fn parse(data: &[u8]) -> Result<BuildInfo, Problem> {
    if data.is_empty() {
        return Err(Problem::Empty);
    }
    let format = claimed_format(data).ok_or(Problem::UnknownFormat)?;
    let file = object::File::parse(data).map_err(|e| Problem::Damaged {
        format,
        message: e.to_string(),
    })?;
    let blob = find_blob(&file).ok_or(Problem::NotGo { format })?;
    let (version, modinfo) = decode(blob, &|addr, len| read_at(&file, addr, len))?;
    Ok(parse_modinfo(version, &modinfo))
}

/// The bytes from the marker on: in the section the linker names for it, else in a
/// writable data section, else (no section headers at all) in a writable segment.
fn find_blob<'d>(file: &object::File<'d>) -> Option<&'d [u8]> {
    if let Some(section) = file
        .sections()
        .find(|s| s.name().is_ok_and(|n| SECTION_NAMES.contains(&n)))
    {
        return section.data().ok().and_then(find_marker);
    }
    let sections = file
        .sections()
        .filter(|s| s.kind() == SectionKind::Data)
        .filter_map(|s| s.data().ok());
    let segments = file
        .segments()
        .filter(|s| s.permissions().writable() && !s.permissions().executable())
        .filter_map(|s| s.data().ok());
    sections.chain(segments).find_map(find_marker)
}

/// The region from the first 16-byte aligned marker with a whole header after it.
fn find_marker(region: &[u8]) -> Option<&[u8]> {
    (0..region.len().saturating_sub(HEADER_LEN - 1))
        .step_by(ALIGN)
        .find(|&i| region[i..].starts_with(MAGIC))
        .map(|i| &region[i..])
}

/// `len` bytes at virtual address `addr`, from the segment (else the section) that maps it.
fn read_at<'d>(file: &object::File<'d>, addr: u64, len: u64) -> Option<&'d [u8]> {
    let slice = |start: u64, data: &'d [u8]| {
        let offset = usize::try_from(addr.checked_sub(start)?).ok()?;
        data.get(offset..offset.checked_add(usize::try_from(len).ok()?)?)
    };
    let segments = file
        .segments()
        .filter_map(|s| Some((s.address(), s.data().ok()?)));
    let sections = file
        .sections()
        .filter(|s| s.address() != 0)
        .filter_map(|s| Some((s.address(), s.data().ok()?)));
    segments
        .chain(sections)
        .find_map(|(start, data)| slice(start, data))
}

/// The toolchain version and the module information (sentinels removed; empty when the
/// binary was not built in module mode) from a blob that starts at the marker.
fn decode<'m>(
    blob: &[u8],
    read_at: &dyn Fn(u64, u64) -> Option<&'m [u8]>,
) -> Result<(String, String), Problem> {
    let header = blob
        .get(..HEADER_LEN)
        .ok_or(Problem::BadBlob("its header is cut short"))?;
    let (ptr_size, flags) = (header[14], header[15]);
    let (version, modinfo) = if flags & 2 != 0 {
        let (version, rest) = varint_string(&blob[HEADER_LEN..])?;
        let (modinfo, _) = varint_string(rest)?;
        (version, modinfo)
    } else {
        let big_endian = flags & 1 != 0;
        let pointer = |bytes: &[u8]| -> Option<u64> {
            Some(match (ptr_size, big_endian) {
                (4, false) => u32::from_le_bytes(bytes.get(..4)?.try_into().ok()?).into(),
                (4, true) => u32::from_be_bytes(bytes.get(..4)?.try_into().ok()?).into(),
                (8, false) => u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?),
                (8, true) => u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?),
                _ => return None,
            })
        };
        if !matches!(ptr_size, 4 | 8) {
            return Err(Problem::BadBlob("its pointer size is neither 4 nor 8"));
        }
        let size = usize::from(ptr_size);
        // A Go string header: the address of the bytes, then their length.
        let string_at = |field: usize| -> Option<&[u8]> {
            let header = read_at(pointer(&header[field..])?, 2 * size as u64)?;
            read_at(pointer(header)?, pointer(&header[size..])?)
        };
        let version = string_at(16).ok_or(Problem::BadBlob(
            "its version string points outside the file",
        ))?;
        // Module information is optional (GOPATH-mode builds); unreadable is as good as none.
        (version, string_at(16 + size).unwrap_or_default())
    };
    if version.is_empty() || version.len() > MAX_VERSION_LEN {
        return Err(Problem::BadBlob("its version string is empty or too long"));
    }
    let modinfo = match modinfo.len() {
        // Between two 16-byte sentinels, the second one right after a newline.
        n if n >= 33 && modinfo[n - 17] == b'\n' => &modinfo[16..n - 16],
        _ => &[][..],
    };
    Ok((
        String::from_utf8_lossy(version).into_owned(),
        String::from_utf8_lossy(modinfo).into_owned(),
    ))
}

/// A string written as an unsigned LEB128 length and the bytes, and what follows it.
fn varint_string(data: &[u8]) -> Result<(&[u8], &[u8]), Problem> {
    let cut = Problem::BadBlob("a string in it runs past the end of its section");
    let mut len: u64 = 0;
    for (i, &b) in data.iter().enumerate().take(10) {
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let rest = &data[i + 1..];
            let len = usize::try_from(len).map_err(|_| cut.clone())?;
            return (len <= rest.len()).then(|| rest.split_at(len)).ok_or(cut);
        }
    }
    Err(cut)
}

/// Reads `debug.BuildInfo`'s text form: `path`, `mod` and `build` lines (dependencies and
/// replacements are not needed here).
fn parse_modinfo(go_version: String, text: &str) -> BuildInfo {
    let mut info = BuildInfo {
        go_version,
        path: None,
        main: None,
        settings: Vec::new(),
        replaces: Vec::new(),
    };
    // The module the next `=>` line replaces.
    let mut last_dep: Option<String> = None;
    for line in text.lines() {
        let Some((kind, rest)) = line.split_once('\t') else {
            continue;
        };
        match kind {
            "path" => info.path = Some(rest.to_string()),
            "mod" => {
                let mut fields = rest.split('\t');
                if let (Some(path), Some(version)) = (fields.next(), fields.next()) {
                    info.main = Some((path.to_string(), version.to_string()));
                }
            }
            "dep" => last_dep = rest.split('\t').next().map(str::to_string),
            "=>" => {
                let mut fields = rest.split('\t');
                if let (Some(module), Some(path)) = (last_dep.take(), fields.next()) {
                    info.replaces.push(Replace {
                        module,
                        path: path.to_string(),
                        version: fields.next().unwrap_or_default().to_string(),
                    });
                }
            }
            "build" => info.settings.extend(setting(rest)),
            _ => {}
        }
    }
    info
}

/// One `KEY=VALUE` build setting; either side is Go-quoted when it holds a space, a quote,
/// a control character (or, for the key, `=`).
fn setting(text: &str) -> Option<(String, String)> {
    let (key, value) = if text.starts_with('"') {
        let end = quoted_len(text)?;
        (unquote(&text[..end])?, text[end..].strip_prefix('=')?)
    } else {
        let (key, value) = text.split_once('=')?;
        (key.to_string(), value)
    };
    let value = if value.starts_with('"') {
        unquote(value)?
    } else {
        value.to_string()
    };
    Some((key, value))
}

/// The length of the Go-quoted string at the start of `text`, both quotes included.
fn quoted_len(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// Undoes Go's `strconv.Quote` (the escapes it writes: `\a \b \f \n \r \t \v \\ \"`,
/// `\xHH`, `\uHHHH`, `\UHHHHHHHH`, and octal); bytes that are not UTF-8 come out as U+FFFD.
fn unquote(quoted: &str) -> Option<String> {
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = Vec::with_capacity(inner.len());
    let mut chars = inner.chars();
    let hex = |chars: &mut std::str::Chars, n: usize| -> Option<u32> {
        let digits: String = chars.by_ref().take(n).collect();
        (digits.len() == n).then(|| u32::from_str_radix(&digits, 16).ok())?
    };
    while let Some(c) = chars.next() {
        let byte = match c {
            '"' => return None,
            '\\' => match chars.next()? {
                'a' => 7,
                'b' => 8,
                'f' => 12,
                'n' => b'\n',
                'r' => b'\r',
                't' => b'\t',
                'v' => 11,
                c @ ('\\' | '"' | '\'') => c as u8,
                'x' => u8::try_from(hex(&mut chars, 2)?).ok()?,
                c @ ('u' | 'U') => {
                    let c = char::from_u32(hex(&mut chars, if c == 'u' { 4 } else { 8 })?)?;
                    out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    continue;
                }
                c @ '0'..='7' => {
                    let digits: String = std::iter::once(c).chain(chars.by_ref().take(2)).collect();
                    u8::from_str_radix(&digits, 8)
                        .ok()
                        .filter(|_| digits.len() == 3)?
                }
                _ => return None,
            },
            c => {
                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                continue;
            }
        };
        out.push(byte);
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const START: &[u8; 16] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
    const END: &[u8; 16] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

    /// Module information as `go build` frames it.
    fn framed(text: &str) -> Vec<u8> {
        [&START[..], text.as_bytes(), &END[..]].concat()
    }

    fn varint(mut n: usize, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }

    /// A Go 1.18+ blob: the header, then both strings inline.
    fn inline_blob(version: &str, modinfo: &[u8]) -> Vec<u8> {
        let mut blob = MAGIC.to_vec();
        blob.extend([8, 2]);
        blob.resize(HEADER_LEN, 0);
        for s in [version.as_bytes(), modinfo] {
            varint(s.len(), &mut blob);
            blob.extend_from_slice(s);
        }
        blob
    }

    const MODINFO: &str = "path\texample.com/app/cmd/app\n\
        mod\texample.com/app\t(devel)\t\n\
        dep\tgolang.org/x/sys\tv0.20.0\th1:abc=\n\
        build\t-buildmode=exe\n\
        build\t-compiler=gc\n\
        build\t-ldflags=\"-s -w -X main.v=\\\"1\\\"\"\n\
        build\t-trimpath=true\n\
        build\tCGO_ENABLED=0\n\
        build\tGOARCH=arm64\n\
        build\tGOOS=linux\n\
        build\t\"odd key\\x00\"=\"caf\\u00e9\\t\\101\"\n\
        build\tvcs=git\n\
        build\tvcs.revision=0123456789abcdef0123456789abcdef01234567\n\
        build\tvcs.modified=true\n";

    fn no_memory(_: u64, _: u64) -> Option<&'static [u8]> {
        None
    }

    #[test]
    fn inline_blobs_since_go_1_18() {
        let blob = inline_blob("go1.22.10", &framed(MODINFO));
        let (version, modinfo) = decode(&blob, &no_memory).unwrap();
        let info = parse_modinfo(version, &modinfo);
        assert_eq!(info.go_version, "go1.22.10");
        assert_eq!(info.release(), Some(GoVersion::new(1, 22, 10)));
        assert_eq!(info.path.as_deref(), Some("example.com/app/cmd/app"));
        assert_eq!(
            info.main,
            Some(("example.com/app".into(), "(devel)".into()))
        );
        assert_eq!(info.setting("-trimpath"), Some("true"));
        assert_eq!(info.setting("CGO_ENABLED"), Some("0"));
        assert_eq!(info.setting("GOOS"), Some("linux"));
        assert_eq!(info.setting("-ldflags"), Some("-s -w -X main.v=\"1\""));
        assert_eq!(info.setting("odd key\0"), Some("café\tA"));
        assert_eq!(info.setting("vcs.modified"), Some("true"));
        assert_eq!(info.settings.len(), 11);
    }

    #[test]
    fn pointer_blobs_before_go_1_18() {
        // The header's two addresses point at Go string headers, which point at the bytes;
        // 32-bit big-endian as on linux/mips, 64-bit little-endian as on amd64.
        let modinfo = framed("path\tx\nmod\tx\tv1.0.0\th1:x=\n");
        for (size, big) in [(4u8, true), (8, false)] {
            let put = |n: u64| -> Vec<u8> {
                match (size, big) {
                    (4, true) => (n as u32).to_be_bytes().to_vec(),
                    _ => n.to_le_bytes().to_vec(),
                }
            };
            let base = 0x40_0000u64;
            let mut memory = vec![0u8; 0x200];
            let mut header = MAGIC.to_vec();
            header.extend([size, u8::from(big)]);
            header.extend(put(base + 0x40));
            header.extend(put(base + 0x40 + 2 * u64::from(size)));
            header.resize(HEADER_LEN, 0);
            let strings = [
                put(base + 0x100),
                put(9),
                put(base + 0x120),
                put(modinfo.len() as u64),
            ]
            .concat();
            memory[0x40..0x40 + strings.len()].copy_from_slice(&strings);
            memory[0x100..0x109].copy_from_slice(b"go1.16.15");
            memory[0x120..0x120 + modinfo.len()].copy_from_slice(&modinfo);
            let read = |addr: u64, len: u64| {
                let off = usize::try_from(addr.checked_sub(base)?).ok()?;
                memory.get(off..off + len as usize)
            };
            let (version, text) = decode(&header, &read).unwrap();
            let info = parse_modinfo(version, &text);
            assert_eq!(
                info.release(),
                Some(GoVersion::new(1, 16, 15)),
                "size {size}"
            );
            assert_eq!(info.main, Some(("x".into(), "v1.0.0".into())));
            assert!(info.settings.is_empty(), "Go 1.16 recorded no settings");
        }
    }

    #[test]
    fn replacements_local_and_versioned() {
        // Go 1.18+ omits empty fields; Go 1.17 and earlier wrote them all, empty or not.
        let text = "path\tex.com/t\nmod\tex.com/t\t(devel)\t\n\
            dep\tex.com/a\tv1.0.0\n=>\t../a\n\
            dep\tex.com/b\tv1.0.0\th1:b=\n\
            dep\tex.com/c\tv1.0.0\n=>\tex.com/fork\tv1.1.0\th1:f=\n\
            dep\tex.com/d\tv1.0.0\n=>\t/src/d\t\t\n";
        let info = parse_modinfo("go1.22.10".into(), text);
        let got: Vec<_> = info
            .replaces
            .iter()
            .map(|r| (r.module.as_str(), r.path.as_str(), r.is_local()))
            .collect();
        assert_eq!(
            got,
            [
                ("ex.com/a", "../a", true),
                ("ex.com/c", "ex.com/fork", false),
                ("ex.com/d", "/src/d", true)
            ]
        );
    }

    #[test]
    fn versions_that_are_not_plain_releases() {
        let info = |v: &str| parse_modinfo(v.to_string(), "");
        assert_eq!(
            info("go1.21.0 X:loopvar").release(),
            Some(GoVersion::new(1, 21, 0))
        );
        assert_eq!(
            info("go1.22.5-fips").release(),
            Some(GoVersion::new(1, 22, 5))
        );
        assert_eq!(info("go1.20").release(), Some(GoVersion::new(1, 20, 0)));
        assert_eq!(
            info("go1.23rc1").release(),
            Some("go1.23rc1".parse().unwrap())
        );
        for odd in [
            "devel go1.24-abcdef Tue",
            "1.22.10",
            "go1.22.10;rm",
            "\u{1b}[2Jgo1",
        ] {
            assert_eq!(info(odd).release(), None, "{odd:?}");
        }
    }

    #[test]
    fn damaged_blobs_are_errors_not_panics() {
        let good = inline_blob("go1.22.10", &framed(MODINFO));
        // Every truncation of a valid blob either decodes or fails cleanly.
        for n in 0..good.len() {
            let _ = decode(&good[..n], &no_memory);
        }
        assert!(decode(&good[..20], &no_memory).is_err());
        let mut huge = good[..HEADER_LEN].to_vec();
        huge.extend([0xff; 12]);
        assert_eq!(
            decode(&huge, &no_memory),
            Err(Problem::BadBlob(
                "a string in it runs past the end of its section"
            ))
        );
        assert!(decode(&inline_blob("", b""), &no_memory).is_err());
        let mut pointers = good[..HEADER_LEN].to_vec();
        pointers[15] = 0;
        assert!(
            decode(&pointers, &no_memory).is_err(),
            "addresses that map nowhere"
        );
        pointers[14] = 3;
        assert_eq!(
            decode(&pointers, &no_memory),
            Err(Problem::BadBlob("its pointer size is neither 4 nor 8"))
        );
        // Module information without its sentinels is no module information.
        let (_, modinfo) =
            decode(&inline_blob("go1.22.10", MODINFO.as_bytes()), &no_memory).unwrap();
        assert_eq!(modinfo, "");
    }

    #[test]
    fn the_marker_must_be_aligned() {
        let blob = inline_blob("go1.22.10", b"");
        let mut region = vec![0u8; 8];
        region.extend(&blob);
        assert!(
            find_marker(&region).is_none(),
            "8 bytes in is not 16-aligned"
        );
        let mut region = vec![0u8; 48];
        region.extend(&blob);
        assert_eq!(find_marker(&region).unwrap(), &blob[..]);
        assert!(find_marker(&blob[..HEADER_LEN - 1]).is_none());
    }

    #[test]
    fn files_that_are_not_go_binaries() {
        assert_eq!(parse(b""), Err(Problem::Empty));
        assert_eq!(parse(b"#!/bin/sh\necho hi\n"), Err(Problem::UnknownFormat));
        assert_eq!(
            parse(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]),
            Err(Problem::UnknownFormat)
        );
        let err = parse(b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0").unwrap_err();
        assert!(
            matches!(err, Problem::Damaged { format: "ELF", .. }),
            "{err}"
        );
        let tool = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(
            parse(&tool),
            Err(Problem::NotGo { format: "ELF" }),
            "a Rust binary that holds the marker as a constant is still not a Go binary"
        );
    }

    #[test]
    fn unquote_handles_what_go_writes() {
        assert_eq!(unquote(r#""a\"b\\c""#).as_deref(), Some("a\"b\\c"));
        assert_eq!(
            unquote(r#""\x41\u00e9\U0001F600\101\a""#).as_deref(),
            Some("Aé😀A\u{7}")
        );
        assert_eq!(unquote(r#""\xff""#).as_deref(), Some("\u{fffd}"));
        for bad in [
            r#""abc"#,
            r#"abc""#,
            r#""\q""#,
            r#""\x4""#,
            r#""a"b""#,
            r#""\400""#,
        ] {
            assert_eq!(unquote(bad), None, "{bad}");
        }
        assert_eq!(setting("-tags=a,b"), Some(("-tags".into(), "a,b".into())));
        assert_eq!(setting("no-equals"), None);
        assert_eq!(setting("\"unterminated=x"), None);
    }
}
