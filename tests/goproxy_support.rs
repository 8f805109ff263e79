//! Checks the loopback module proxy and checksum database of `support::goproxy` on their own,
//! against the protocol and against sum.golang.org's real data, so the tests that drive gopin
//! through them (tests/goproxy.rs) stand on a server that is right.

use crate::support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};

use support::goproxy::{GoProxy, Key, MODULE, h1_of_files, h1_of_zip, key_hash, toolchain_zip};
use support::{Entry, go_tree};

fn get(url: &str) -> (u16, Vec<u8>) {
    let resp = reqwest::blocking::get(url).unwrap();
    let status = resp.status().as_u16();
    (status, resp.bytes().unwrap().to_vec())
}

/// Splits a signed note into its text and its one signature line's (name, hash, signature).
fn open_note(note: &str) -> (&str, String, [u8; 4], Vec<u8>) {
    let split = note.rfind("\n\n").unwrap();
    let (text, sig) = (&note[..split + 1], &note[split + 2..]);
    let sig = sig.strip_prefix("\u{2014} ").unwrap().trim_end();
    let (name, b64) = sig.split_once(' ').unwrap();
    let bytes = BASE64.decode(b64).unwrap();
    (
        text,
        name.to_string(),
        bytes[..4].try_into().unwrap(),
        bytes[4..].to_vec(),
    )
}

/// Whether `note` is signed by the verifier key `vkey` (`name+hash+base64(0x01 ‖ key)`).
fn signed_by(note: &str, vkey: &str) -> bool {
    let mut parts = vkey.splitn(3, '+');
    let (name, hash, key) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    let key = BASE64.decode(key).unwrap();
    let (text, sig_name, sig_hash, sig) = open_note(note);
    let public = VerifyingKey::from_bytes(&key[1..].try_into().unwrap()).unwrap();
    let sig = Signature::from_bytes(&sig.try_into().unwrap());
    sig_name == name
        && format!(
            "{:02x}{:02x}{:02x}{:02x}",
            sig_hash[0], sig_hash[1], sig_hash[2], sig_hash[3]
        ) == hash
        && public.verify_strict(text.as_bytes(), &sig).is_ok()
}

#[test]
fn keys_and_notes_are_go_s_formats() {
    // The real sum.golang.org key: our key-hash computation reproduces its 033de0ae, and its
    // real tree heads verify the way ours are checked.
    let real = include_str!("fixtures/sumdb-signed-tree-heads.txt");
    let vkey = real
        .lines()
        .find(|l| l.starts_with("sum.golang.org+"))
        .unwrap();
    let key = BASE64.decode(vkey.splitn(3, '+').nth(2).unwrap()).unwrap();
    assert_eq!(key_hash("sum.golang.org", &key), [0x03, 0x3d, 0xe0, 0xae]);
    let lines: Vec<&str> = real.lines().filter(|l| !l.starts_with('#')).collect();
    let start = lines
        .iter()
        .position(|l| *l == "go.sum database tree")
        .unwrap();
    let note = format!("{}\n", lines[start..start + 5].join("\n"));
    assert!(signed_by(&note, vkey));
    assert!(!signed_by(&note.replacen("63096908", "63096909", 1), vkey));
    // Ours sign the same way.
    let ours = Key::new("sum.gopin.test", 9);
    let signed = ours.sign("go.sum database tree\n1\nAAAA\n");
    assert!(signed_by(&signed, &ours.vkey));
    assert!(!signed_by(&signed, &Key::new("sum.gopin.test", 8).vkey));
}

#[test]
fn toolchain_zips_are_converted_as_go_s_release_tooling_does() {
    let mut tree = go_tree("go1.22.10", "linux/amd64");
    for (path, data) in [
        ("go/src/go.mod", "module std\n"),
        ("go/src/cmd/go.mod", "module cmd\n"),
        ("go/api/go1.txt", "pkg x\n"),
        ("go/doc/go_spec.html", "<html>\n"),
        ("go/misc/x", "x\n"),
        ("go/test/x.go", "package x\n"),
        ("go/.github/SUPPORT.md", "x\n"),
        ("go/src/testing/api/x.go", "package api\n"),
    ] {
        tree.push(Entry::File(path.into(), 0o644, data.as_bytes().to_vec()));
    }
    let zip = toolchain_zip(&tree, "v0.0.1-go1.22.10.linux-amd64");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&zip)).unwrap();
    let names: Vec<String> = (0..archive.len())
        .map(|i| String::from_utf8(archive.by_index(i).unwrap().name_raw().to_vec()).unwrap())
        .collect();
    let p = "golang.org/toolchain@v0.0.1-go1.22.10.linux-amd64/";
    let want: Vec<String> = [
        "VERSION",
        "bin/go",
        "bin/gofmt",
        "src/_go.mod",
        "src/cmd/_go.mod",
        "src/runtime/runtime.go",
        "src/testing/api/x.go",
    ]
    .iter()
    .map(|n| format!("{p}{n}"))
    .collect();
    assert_eq!(names, want);
    let go = archive.by_name(&format!("{p}bin/go")).unwrap();
    assert_eq!(go.unix_mode().unwrap() & 0o777, 0o755);
    drop(go);
    let contents: Vec<(String, Vec<u8>)> = names
        .iter()
        .map(|n| {
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut archive.by_name(n).unwrap(), &mut data).unwrap();
            (n.clone(), data)
        })
        .collect();
    assert_eq!(
        h1_of_zip(&zip),
        h1_of_files(contents.iter().map(|(n, d)| (n.as_str(), d.as_slice())))
    );
}

#[test]
fn the_go_mod_hash_in_records_is_sum_golang_org_s() {
    let real = include_str!("fixtures/go-toolchain-sumdb-lines.txt");
    let line = real
        .lines()
        .find(|l| !l.starts_with('#') && l.contains("/go.mod "))
        .unwrap();
    let recorded = line.rsplit(' ').next().unwrap();
    let ours = support::goproxy::record("v0.0.1-go1.22.10.linux-amd64", "h1:x");
    assert!(ours.ends_with(&format!("/go.mod {recorded}\n")), "{ours}");
}

/// Folds the hashes of leaves `lo..hi` from level-0 hashes, as RFC 6962 defines the root.
fn root_of(leaves: &[[u8; 32]]) -> [u8; 32] {
    if leaves.len() == 1 {
        return leaves[0];
    }
    let mut k = 1;
    while k * 2 < leaves.len() {
        k *= 2;
    }
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(root_of(&leaves[..k]));
    h.update(root_of(&leaves[k..]));
    h.finalize().into()
}

#[test]
fn the_database_serves_a_log_that_proves_its_records() {
    let server = GoProxy::start();
    server.add_other_records(300);
    let published = server.publish("go1.22.10", "linux/amd64");
    server.add_other_records(5);
    assert_eq!(published.id, 300);
    let size = server.tree_size();
    assert_eq!(size, 306);
    // The proxy serves the list and the zip; the zip's h1 is what is recorded.
    let (status, list) = get(&format!("{}/{MODULE}/@v/list", server.proxy_url()));
    assert_eq!(
        (status, list),
        (200, b"v0.0.1-go1.22.10.linux-amd64\n".to_vec())
    );
    let zip_url = format!(
        "{}/{MODULE}/@v/v0.0.1-go1.22.10.linux-amd64.zip",
        server.proxy_url()
    );
    assert_eq!(get(&zip_url).1, published.zip);
    // The lookup, directly and through the proxy: id, record, signed tree head.
    let proxied = format!(
        "{}/sumdb/{}",
        server.proxy_url(),
        support::goproxy::SUMDB_NAME
    );
    assert_eq!(get(&format!("{proxied}/supported")).0, 200);
    for base in [server.sumdb_url(), proxied] {
        let (status, body) = get(&format!(
            "{base}/lookup/{MODULE}@v0.0.1-go1.22.10.linux-amd64"
        ));
        assert_eq!(status, 200);
        let body = String::from_utf8(body).unwrap();
        let (id, rest) = body.split_once('\n').unwrap();
        assert_eq!(id, "300");
        let (text, note) = rest.split_once("\n\n").unwrap();
        let text = format!("{text}\n");
        assert!(text.contains(&published.h1));
        assert!(signed_by(note, &server.gosumdb()));
        let tree: Vec<&str> = open_note(note).0.lines().collect();
        assert_eq!(tree[1], size.to_string());
        // The tiles hold the leaf hashes, and fold to the signed root.
        let mut leaves = Vec::new();
        for tile in ["tile/8/0/000", "tile/8/0/001.p/50"] {
            let (status, data) = get(&format!("{base}/{tile}"));
            assert_eq!(status, 200, "{tile}");
            leaves.extend(data.chunks(32).map(|c| <[u8; 32]>::try_from(c).unwrap()));
        }
        let mut leaf = Sha256::new();
        leaf.update([0u8]);
        leaf.update(text.as_bytes());
        assert_eq!(leaves[300], <[u8; 32]>::from(leaf.finalize()));
        assert_eq!(BASE64.encode(root_of(&leaves)), tree[2]);
        // The level-1 tile is the hash of the first full level-0 tile.
        let (_, level1) = get(&format!("{base}/tile/8/1/000.p/1"));
        assert_eq!(level1, root_of(&leaves[..256]).to_vec());
    }
}

#[test]
fn misbehaviour_changes_what_is_served() {
    let server = GoProxy::start();
    let published = server.publish("go1.22.10", "linux/amd64");
    let lookup = format!(
        "{}/lookup/{MODULE}@{}",
        server.sumdb_url(),
        published.module_version
    );
    let before = String::from_utf8(get(&lookup).1).unwrap();
    server.tamper_record("go1.22.10", "linux/amd64", "h1:forged=");
    let tampered = String::from_utf8(get(&lookup).1).unwrap();
    assert!(tampered.contains("h1:forged=") && !tampered.contains(&published.h1));
    assert_eq!(
        before.rsplit_once("\n\n").unwrap().1,
        tampered.rsplit_once("\n\n").unwrap().1
    );
    server.sign_with(Key::new(support::goproxy::SUMDB_NAME, 2));
    let note = get(&format!("{}/latest", server.sumdb_url())).1;
    assert!(!signed_by(
        std::str::from_utf8(&note).unwrap(),
        &server.gosumdb()
    ));
    let other = GoProxy::start();
    other.publish("go1.22.9", "linux/amd64");
    other.publish("go1.22.10", "linux/amd64");
    other.answer_with_tree_before("go1.22.10", "linux/amd64");
    let body = get(&format!(
        "{}/lookup/{MODULE}@v0.0.1-go1.22.10.linux-amd64",
        other.sumdb_url()
    ))
    .1;
    let body = String::from_utf8(body).unwrap();
    assert!(
        body.starts_with("1\n") && body.contains("go.sum database tree\n1\n"),
        "{body}"
    );
    let latest = |s: &GoProxy| get(&format!("{}/latest", s.sumdb_url())).1;
    let old = latest(&other);
    other.rewrite_history(1);
    assert_eq!(other.tree_size(), 3);
    assert_ne!(latest(&other), old);
    // An earlier state of the rewritten log: its first two records, no lookup of the third.
    other.serve_earlier_tree(2);
    let latest_text = String::from_utf8(latest(&other)).unwrap();
    assert!(
        latest_text.starts_with("go.sum database tree\n2\n"),
        "{latest_text}"
    );
    let lookup = |mv: &str| get(&format!("{}/lookup/{MODULE}@{mv}", other.sumdb_url())).0;
    assert_eq!(lookup("v0.0.1-go1.22.9.linux-amd64"), 200);
    assert_eq!(lookup("v0.0.1-go1.22.10.linux-amd64"), 404);
    assert_eq!(
        get(&format!("{}/tile/8/0/000.p/3", other.sumdb_url())).0,
        404
    );
    assert_eq!(
        get(&format!("{}/tile/8/0/000.p/2", other.sumdb_url())).0,
        200
    );
    other.set_proxies_sumdb(false);
    let supported = format!(
        "{}/sumdb/{}/supported",
        other.proxy_url(),
        support::goproxy::SUMDB_NAME
    );
    assert_eq!(get(&supported).0, 404);
}
