use std::io::Cursor;
use std::os::unix::fs::PermissionsExt;

use zip::write::SimpleFileOptions;

use super::*;

const PREFIX: &str = "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/";

/// A zip made with the zip crate, as Go's release tooling makes one: deflated files, Unix
/// modes when `mode` is given (else made on DOS, as some proxies re-zip), no directories.
fn zip_of(files: &[(&str, Option<u32>, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    for (name, mode, data) in files {
        let options = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
        let options = match mode {
            Some(mode) => options.unix_permissions(*mode),
            None => options.system(System::Dos),
        };
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn toolchain_files() -> Vec<(String, Option<u32>, Vec<u8>)> {
    let mut files = vec![
        (
            "bin/go".to_string(),
            Some(0o755),
            b"#!/bin/sh\necho go\n".to_vec(),
        ),
        (
            "bin/gofmt".to_string(),
            Some(0o755),
            b"#!/bin/sh\necho gofmt\n".to_vec(),
        ),
        (
            "VERSION".to_string(),
            Some(0o644),
            b"go1.22.10\ntime 2024-12-03T00:00:00Z\n".to_vec(),
        ),
        (
            "src/_go.mod".to_string(),
            Some(0o644),
            b"module std\n\ngo 1.22\n".to_vec(),
        ),
        (
            "src/cmd/_go.mod".to_string(),
            Some(0o644),
            b"module cmd\n\ngo 1.22\n".to_vec(),
        ),
        (
            "src/runtime/runtime.go".to_string(),
            Some(0o644),
            b"package runtime\n".to_vec(),
        ),
        (
            "pkg/tool/linux_amd64/compile".to_string(),
            Some(0o755),
            vec![0x7f; 300_000],
        ),
        (
            "lib/wasm/go_js_wasm_exec".to_string(),
            Some(0o755),
            b"#!/bin/sh\n".to_vec(),
        ),
    ];
    for i in 0..40 {
        files.push((
            format!("src/pkg{i}/file.go"),
            Some(0o644),
            format!("package pkg{i}\n").repeat(i + 1).into_bytes(),
        ));
    }
    files
}

fn write_zip(dir: &Path, bytes: &[u8]) -> PathBuf {
    let path = dir.join("module.zip");
    fs::write(&path, bytes).unwrap();
    path
}

fn extract_bytes(bytes: &[u8], threads: usize) -> (tempfile::TempDir, Result<Extracted, ZipError>) {
    let dir = tempfile::tempdir().unwrap();
    let zip = write_zip(dir.path(), bytes);
    let result = extract(
        &zip,
        &dir.path().join("go"),
        false,
        PREFIX,
        &Limits::GO,
        threads,
    );
    (dir, result)
}

#[test]
fn a_toolchain_zip_unpacks_with_its_h1_modes_and_go_mods() {
    let files = toolchain_files();
    let named: Vec<(String, Option<u32>, &[u8])> = files
        .iter()
        .map(|(n, m, d)| (format!("{PREFIX}{n}"), *m, d.as_slice()))
        .collect();
    let zip = zip_of(
        &named
            .iter()
            .map(|(n, m, d)| (n.as_str(), *m, *d))
            .collect::<Vec<_>>(),
    );
    let want_h1 = dirhash::hash_bytes(
        &named
            .iter()
            .map(|(n, _, d)| (n.as_str(), *d))
            .collect::<Vec<_>>(),
    )
    .unwrap();
    let (dir, got) = extract_bytes(&zip, 4);
    let got = got.unwrap();
    assert_eq!(got.h1, want_h1);
    let root = dir.path().join("go");
    for (name, _, data) in &files {
        assert_eq!(&fs::read(root.join(name)).unwrap(), data, "{name}");
    }
    let mode = |rel: &str| fs::metadata(root.join(rel)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode("bin/go") & 0o100, 0o100);
    assert_eq!(mode("VERSION") & 0o111, 0);
    // Each _go.mod is copied to go.mod, as go does; both are in the manifest.
    assert_eq!(
        fs::read(root.join("src/go.mod")).unwrap(),
        b"module std\n\ngo 1.22\n"
    );
    assert_eq!(
        fs::read(root.join("src/cmd/go.mod")).unwrap(),
        b"module cmd\n\ngo 1.22\n"
    );
    assert!(root.join("src/_go.mod").exists());
    assert_eq!(got.files.len(), files.len() + 2);
    assert_eq!(got.files["src/go.mod"], got.files["src/_go.mod"]);
    let ManifestEntry::File { size, sha256, mode } = &got.files["pkg/tool/linux_amd64/compile"]
    else {
        panic!()
    };
    assert_eq!(*size, 300_000);
    assert_eq!(*sha256, hex(&Sha256::digest(vec![0x7f; 300_000])));
    assert_eq!(*mode, 0o755);
    // The same zip on one thread: the same result.
    let (_dir, one) = extract_bytes(&zip, 1);
    let one = one.unwrap();
    assert_eq!(one.h1, got.h1);
    assert_eq!(one.files, got.files);
}

#[test]
fn zips_without_unix_modes_get_go_s_execute_bits() {
    let zip = zip_of(&[
        (&format!("{PREFIX}bin/go"), None, b"go"),
        (&format!("{PREFIX}pkg/tool/linux_amd64/link"), None, b"link"),
        (&format!("{PREFIX}lib/wasm/go_wasip1_wasm_exec"), None, b"x"),
        (&format!("{PREFIX}src/make.bash"), None, b"x"),
        (&format!("{PREFIX}src/go/doc.go"), None, b"x"),
        (&format!("{PREFIX}lib/wasm/wasm_exec.js"), None, b"x"),
    ]);
    let (_dir, got) = extract_bytes(&zip, 2);
    let got = got.unwrap();
    let mode = |rel: &str| match &got.files[rel] {
        ManifestEntry::File { mode, .. } => *mode,
        _ => panic!(),
    };
    for exec in [
        "bin/go",
        "pkg/tool/linux_amd64/link",
        "lib/wasm/go_wasip1_wasm_exec",
        "src/make.bash",
    ] {
        assert_eq!(mode(exec), 0o755, "{exec}");
    }
    assert_eq!(mode("src/go/doc.go"), 0o644);
    assert_eq!(mode("lib/wasm/wasm_exec.js"), 0o644);
}

#[test]
fn the_zip_s_own_modes_are_ignored() {
    // Modes are not in the h1: a proxy may set any. Each file gets Go's rule and nothing else.
    let zip = zip_of(&[
        (&format!("{PREFIX}bin/go"), Some(0o777), b"go"),
        (&format!("{PREFIX}bin/gofmt"), Some(0o4755), b"gofmt"),
        (
            &format!("{PREFIX}src/runtime/proc.go"),
            Some(0o777),
            b"package runtime",
        ),
        (
            &format!("{PREFIX}src/fmt/print.go"),
            Some(0o6666),
            b"package fmt",
        ),
        (
            &format!("{PREFIX}src/all.bash"),
            Some(0o600),
            b"#!/bin/bash",
        ),
        (&format!("{PREFIX}VERSION"), Some(0o755), b"go1.22.10"),
    ]);
    let (dir, got) = extract_bytes(&zip, 2);
    let got = got.unwrap();
    for (rel, want) in [
        ("bin/go", 0o755),
        ("bin/gofmt", 0o755),
        ("src/runtime/proc.go", 0o644),
        ("src/fmt/print.go", 0o644),
        ("src/all.bash", 0o755),
        ("VERSION", 0o644),
    ] {
        let ManifestEntry::File { mode, .. } = &got.files[rel] else {
            panic!()
        };
        assert_eq!(*mode, want, "{rel} in the record");
        let on_disk = fs::metadata(dir.path().join("go").join(rel))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(on_disk & 0o7022, 0, "{rel} on disk: {on_disk:o}");
    }
}

#[test]
fn directory_entries_count_in_the_h1_as_in_go() {
    let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default();
    w.add_directory(PREFIX, options).unwrap();
    w.add_directory(format!("{PREFIX}src/"), options).unwrap();
    w.start_file(format!("{PREFIX}src/a.go"), options).unwrap();
    w.write_all(b"package a\n").unwrap();
    let zip = w.finish().unwrap().into_inner();
    let (dir, got) = extract_bytes(&zip, 2);
    let want = dirhash::hash_bytes(&[
        (PREFIX, b""),
        (&format!("{PREFIX}src/"), b""),
        (&format!("{PREFIX}src/a.go"), b"package a\n"),
    ])
    .unwrap();
    assert_eq!(got.unwrap().h1, want);
    assert!(dir.path().join("go/src/a.go").is_file());
}

/// One entry of a zip written byte by byte, to say what no zip library would write.
struct Raw {
    name: Vec<u8>,
    data: &'static [u8],
    /// The uncompressed size to declare (default: the real one).
    size: Option<u32>,
    /// The CRC to declare (default: the real one).
    crc: Option<u32>,
    /// Unix mode bits, high half of the external attributes.
    mode: u32,
}

fn raw(name: impl Into<Vec<u8>>, data: &'static [u8]) -> Raw {
    Raw {
        name: name.into(),
        data,
        size: None,
        crc: None,
        mode: 0o100644,
    }
}

/// A stored (uncompressed) zip of `entries`, made on Unix.
fn raw_zip(entries: &[Raw]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let mut crc = flate2::Crc::new();
        crc.update(e.data);
        let crc = e.crc.unwrap_or(crc.sum());
        let size = e.size.unwrap_or(e.data.len() as u32);
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
            v.extend_from_slice(&0u16.to_le_bytes()); // stored
            v.extend_from_slice(&0u32.to_le_bytes()); // time, date
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&(e.data.len() as u32).to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(&0x04034b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(e.data);
        central.extend_from_slice(&0x02014b50u32.to_le_bytes());
        central.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes()); // made by Unix
        common(&mut central);
        central.extend_from_slice(&[0; 6]); // comment, disk, internal attributes
        central.extend_from_slice(&(e.mode << 16).to_le_bytes());
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let (start, len) = (out.len() as u32, central.len() as u32);
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x06054b50u32.to_le_bytes());
    out.extend_from_slice(&[0; 4]);
    let n = (entries.len() as u16).to_le_bytes();
    out.extend_from_slice(&n);
    out.extend_from_slice(&n);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&start.to_le_bytes());
    out.extend_from_slice(&[0; 2]);
    out
}

/// A name below the module prefix.
fn p(rel: &str) -> Vec<u8> {
    format!("{PREFIX}{rel}").into_bytes()
}

/// Asserts that `entries` are refused for `reason`, with nothing under the root.
fn refused(entries: &[Raw], reason: &str) {
    let (dir, got) = extract_bytes(&raw_zip(entries), 2);
    let err = got.expect_err(reason).to_string();
    assert!(err.contains(reason), "{err} (wanted: {reason})");
    assert!(
        !dir.path().join("go").exists(),
        "{reason}: written before refusing"
    );
}

#[test]
fn the_raw_writer_makes_valid_zips() {
    let (_dir, got) = extract_bytes(&raw_zip(&[raw(p("VERSION"), b"go")]), 1);
    assert_eq!(got.unwrap().files.len(), 1);
}

#[test]
fn unsafe_names_are_refused_before_anything_is_written() {
    refused(
        &[raw(&b"golang.org/toolchain@v0.0.2/x"[..], b"")],
        "is outside",
    );
    refused(&[raw(&b"../../etc/passwd"[..], b"")], "is outside");
    refused(&[raw(p("../x"), b"")], "'..'");
    refused(&[raw(p("a/./b"), b"")], "'.'");
    refused(&[raw(p("/etc/passwd"), b"")], "empty path element");
    refused(&[raw(p("a//b"), b"")], "empty path element");
    refused(&[raw(p("a\\..\\b"), b"")], "'\\\\'");
    refused(&[raw(p("a:b"), b"")], "':'");
    refused(&[raw(p("x\u{1b}]0;t\u{7}"), b"")], "character");
    refused(&[raw(p("src/aux.go"), b"")], "reserved on Windows");
    refused(&[raw(p("trailing."), b"")], "ends in '.'");
    refused(&[raw([p(""), vec![0xff]].concat(), b"")], "UTF-8");
}

/// Entries (name below the prefix, content), and why they are refused.
type Clash = (&'static [(&'static str, &'static [u8])], &'static str);

#[test]
fn names_that_clash_are_refused() {
    let cases: [Clash; 8] = [
        (
            &[("src/A.go", b""), ("src/a.go", b"")],
            "differs only in case",
        ),
        (
            &[("SRC/a.go", b""), ("src/b.go", b"")],
            "differs only in case",
        ),
        (
            &[("src", b""), ("src/a.go", b"")],
            "both a file and a directory",
        ),
        (
            &[("src/a.go", b""), ("src", b"")],
            "both a file and a directory",
        ),
        (&[("a", b"1"), ("a", b"2")], "twice"),
        (
            &[("src/go.mod", b"module std\n")],
            "go.mod below the module root",
        ),
        (&[("GO.MOD", b"module x\n")], "another case"),
        (
            &[("go.mod", b"module x\n"), ("_go.mod", b"module y\n")],
            "restored over",
        ),
    ];
    for (entries, reason) in cases {
        let entries: Vec<Raw> = entries.iter().map(|(n, d)| raw(p(n), d)).collect();
        refused(&entries, reason);
    }
}

#[test]
fn links_and_special_files_are_refused() {
    for (name, data, mode, reason) in [
        ("bin/go", &b"/bin/sh"[..], 0o120777, "is a symlink"),
        ("fifo", b"", 0o010644, "special file"),
        ("dev", b"", 0o020644, "special file"),
        ("dir/", b"data", 0o040755, "directory with content"),
    ] {
        let mut entry = raw(p(name), data);
        entry.mode = mode;
        refused(&[entry], reason);
    }
}

#[test]
fn lying_sizes_and_checksums_are_refused() {
    let mut short = raw(p("VERSION"), b"go1.22.10\n");
    short.size = Some(4);
    let (_d, got) = extract_bytes(&raw_zip(&[short]), 1);
    assert!(got.is_err());
    let mut bad_crc = raw(p("VERSION"), b"go1.22.10\n");
    bad_crc.crc = Some(0xdeadbeef);
    let (_d, got) = extract_bytes(&raw_zip(&[bad_crc]), 1);
    let err = got.unwrap_err().to_string();
    assert!(
        err.contains("corrupt") || err.contains("not a valid zip"),
        "{err}"
    );
}

#[test]
fn limits_are_enforced() {
    let files: Vec<(String, Option<u32>, Vec<u8>)> = (0..10)
        .map(|i| (format!("{PREFIX}f{i}"), Some(0o644), vec![b'x'; 1000]))
        .collect();
    let zip = zip_of(
        &files
            .iter()
            .map(|(n, m, d)| (n.as_str(), *m, d.as_slice()))
            .collect::<Vec<_>>(),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write_zip(dir.path(), &zip);
    let run = |limits: Limits| extract(&path, &dir.path().join("go"), false, PREFIX, &limits, 2);
    let err = run(Limits {
        entries: 9,
        ..Limits::GO
    })
    .unwrap_err();
    assert!(matches!(err, ZipError::TooManyEntries(9)), "{err}");
    let err = run(Limits {
        total_size: 9_999,
        ..Limits::GO
    })
    .unwrap_err();
    assert!(matches!(err, ZipError::TooLarge { .. }), "{err}");
    let err = run(Limits {
        zip_size: 100,
        ..Limits::GO
    })
    .unwrap_err();
    assert!(matches!(err, ZipError::TooLarge { .. }), "{err}");
    assert!(!dir.path().join("go").exists());
    run(Limits {
        total_size: 10_000,
        entries: 10,
        ..Limits::GO
    })
    .unwrap();
    // The root must be new: a second extraction into it is refused.
    assert!(matches!(run(Limits::GO), Err(ZipError::Write { .. })));
}

#[test]
fn garbage_is_not_a_zip() {
    for bytes in [&b""[..], b"PK\x03\x04 not really", &[0u8; 4096]] {
        let (_d, got) = extract_bytes(bytes, 1);
        assert!(matches!(got, Err(ZipError::Corrupt(_))));
    }
}

#[test]
fn overlapping_entries_are_refused() {
    // Two central directory records pointing at the same local header: the classic
    // "overlapping files" zip bomb.
    let mut zip = raw_zip(&[raw(p("a"), b"same data"), raw(p("b"), b"same data")]);
    // Point the second central record's local-header offset at the first entry.
    let cd = zip
        .windows(4)
        .rposition(|w| w == 0x02014b50u32.to_le_bytes())
        .unwrap();
    zip[cd + 42..cd + 46].copy_from_slice(&0u32.to_le_bytes());
    let (_d, got) = extract_bytes(&zip, 1);
    assert!(got.is_err());
}

#[test]
fn file_names_fold_like_go() {
    assert_eq!(fold("Src/A.GO"), "src/a.go");
    assert_eq!(
        fold("\u{212a}elvin"),
        "kelvin",
        "the Kelvin sign folds to k"
    );
    assert_eq!(fold("\u{17f}"), "s", "long s folds to s");
    assert_eq!(fold("ß"), "ß", "no multi-character folding");
}
