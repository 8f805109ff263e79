//! The client against an in-memory checksum database that can misbehave.

use super::note::tests::{real_key_and_notes, test_key};
use super::testdb::{TestDb, record_text};
use super::*;

const MODULE: &str = "golang.org/toolchain";
const BASE: &str = "http://127.0.0.1:1/db";

/// A database at BASE whose records are toolchain versions.
fn test_db() -> TestDb {
    TestDb::new("sum.test", BASE)
}

/// Appends records for versions `version(first)` … with made-up hashes.
fn append(db: &TestDb, first: usize, count: usize) {
    for i in first..first + count {
        db.add(
            MODULE,
            &version(i),
            &format!("h1:{}", tlog::to_base64(&[i as u8; 32])),
        );
    }
}

fn version(i: usize) -> String {
    format!("v0.0.1-go1.{i}.0.linux-amd64")
}

#[test]
fn a_served_record_is_proved() {
    let db = test_db();
    append(&db, 0, 300);
    db.serve(300);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    let proof = client.prove(MODULE, &version(271)).unwrap();
    assert_eq!(proof.record, 271);
    assert_eq!(proof.tree_size, 300);
    assert_eq!(
        proof.h1,
        format!("h1:{}", tlog::to_base64(&[271usize as u8; 32]))
    );
    assert_eq!(proof.database, "sum.test");
    assert!(
        proof
            .url
            .ends_with("/lookup/golang.org/toolchain@v0.0.1-go1.271.0.linux-amd64")
    );
    assert!(proof.tree_note.starts_with("go.sum database tree\n300\n"));
    // The tree is now the one kept.
    let latest = Latest::new(cache.path(), &database.verifier);
    assert_eq!(
        latest.load(&database.verifier).unwrap().unwrap().0.size,
        300
    );
}

#[test]
fn a_record_changed_after_signing_is_refused() {
    let db = test_db();
    append(&db, 0, 20);
    db.serve(20);
    let url = format!("{BASE}/lookup/{MODULE}@{}", version(5));
    let body = String::from_utf8(db.remote.bodies.lock().unwrap()[&url].clone()).unwrap();
    let forged_h1 = format!("h1:{}", tlog::to_base64(&[0xee; 32]));
    let forged = body.replacen(&format!("h1:{}", tlog::to_base64(&[5; 32])), &forged_h1, 1);
    assert_ne!(forged, body);
    db.remote.put(&url, forged);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    let err = client.prove(MODULE, &version(5)).unwrap_err();
    assert!(matches!(err, SumdbError::NotProved { .. }), "{err}");
    assert!(err.to_string().starts_with("SECURITY ERROR"), "{err}");
    // Nothing about the forged answer was kept.
    assert!(
        !Latest::new(cache.path(), &database.verifier)
            .path()
            .exists()
    );
}

#[test]
fn a_tree_signed_by_another_key_is_refused() {
    let db = test_db();
    append(&db, 0, 10);
    db.serve(10);
    let (other, _) = test_key("sum.test", 8);
    db.key.replace(other);
    db.serve(10);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    let err = client.prove(MODULE, &version(3)).unwrap_err();
    assert!(matches!(err, SumdbError::Signature { .. }), "{err}");
    assert!(err.to_string().contains(&database.verifier.id()), "{err}");
}

#[test]
fn a_tree_without_the_record_is_refused() {
    let db = test_db();
    append(&db, 0, 10);
    db.serve(10);
    // The lookup claims record 9 but comes with the tree of the first 9 records.
    let url = format!("{BASE}/lookup/{MODULE}@{}", version(9));
    let text = String::from_utf8(db.records.borrow()[9].clone()).unwrap();
    db.remote.put(&url, format!("9\n{text}\n{}", db.note(9)));
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    let err = client.prove(MODULE, &version(9)).unwrap_err();
    assert!(matches!(err, SumdbError::NotProved { .. }), "{err}");
    // Or claims another record's place in the right tree.
    db.remote.put(&url, format!("4\n{text}\n{}", db.note(10)));
    let err = client.prove(MODULE, &version(9)).unwrap_err();
    assert!(matches!(err, SumdbError::NotProved { .. }), "{err}");
}

#[test]
fn a_rewritten_log_is_refused_but_an_older_state_of_the_same_log_is_not() {
    let db = test_db();
    append(&db, 0, 40);
    db.serve(40);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    client.prove(MODULE, &version(30)).unwrap();
    // A caching proxy answers with the tree as it was when record 7 was first looked up:
    // an earlier state of the same log, provably a prefix. Accepted; the larger tree stays.
    let url = format!("{BASE}/lookup/{MODULE}@{}", version(7));
    let text = String::from_utf8(db.records.borrow()[7].clone()).unwrap();
    db.remote.put(&url, format!("7\n{text}\n{}", db.note(8)));
    client.prove(MODULE, &version(7)).unwrap();
    let latest = Latest::new(cache.path(), &database.verifier);
    assert_eq!(latest.load(&database.verifier).unwrap().unwrap().0.size, 40);
    // The server rolls back and rewrites history from record 10 on.
    db.records.borrow_mut().truncate(10);
    append(&db, 100, 25);
    db.serve(35);
    let err = client.prove(MODULE, &version(3)).unwrap_err();
    assert!(matches!(err, SumdbError::Inconsistent { .. }), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("#40") && msg.contains("#35"), "{msg}");
    // And later grows past the old size: still not the history this machine saw.
    append(&db, 200, 20);
    db.serve(55);
    let err = client.prove(MODULE, &version(3)).unwrap_err();
    assert!(matches!(err, SumdbError::Inconsistent { .. }), "{err}");
    assert_eq!(latest.load(&database.verifier).unwrap().unwrap().0.size, 40);
}

#[test]
fn a_growing_log_moves_the_kept_tree_forward() {
    let db = test_db();
    append(&db, 0, 10);
    db.serve(10);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    client.prove(MODULE, &version(2)).unwrap();
    append(&db, 10, 290);
    db.serve(300);
    let proof = client.prove(MODULE, &version(2)).unwrap();
    assert_eq!(proof.tree_size, 300);
    let latest = Latest::new(cache.path(), &database.verifier);
    assert_eq!(
        latest.load(&database.verifier).unwrap().unwrap().0.size,
        300
    );
}

#[test]
fn missing_and_malformed_answers_fail_closed() {
    let db = test_db();
    append(&db, 0, 5);
    db.serve(5);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    let err = client
        .prove(MODULE, "v0.0.1-go1.99.0.linux-amd64")
        .unwrap_err();
    assert!(matches!(err, SumdbError::NoRecord { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("golang.org/toolchain@v0.0.1-go1.99.0.linux-amd64")
    );
    let url = format!("{BASE}/lookup/{MODULE}@{}", version(1));
    for body in ["", "<html>hello</html>", "1\nno tree\n"] {
        db.remote.put(&url, body);
        let err = client.prove(MODULE, &version(1)).unwrap_err();
        assert!(matches!(err, SumdbError::Malformed { .. }), "{err}");
        assert!(err.to_string().contains(&url), "{err}");
    }
    // A well-formed, proved record of another version is not an answer about this one.
    let other = String::from_utf8(
        db.remote.bodies.lock().unwrap()[&format!("{BASE}/lookup/{MODULE}@{}", version(2))].clone(),
    )
    .unwrap();
    db.remote.put(&url, other);
    let err = client.prove(MODULE, &version(1)).unwrap_err();
    assert!(matches!(err, SumdbError::Malformed { .. }), "{err}");
    // A server error is not "no record".
    db.remote.fail(&url, 500);
    let err = client.prove(MODULE, &version(1)).unwrap_err();
    assert!(matches!(err, SumdbError::Remote(_)), "{err}");
}

#[test]
fn gosumdb_in_every_form_go_accepts() {
    let parse = |s: &str| parse_gosumdb(Some(OsStr::new(s)));
    let Gosumdb::On(db) = parse_gosumdb(None).unwrap() else {
        panic!("the default is on")
    };
    assert_eq!(db.verifier.text(), SUM_GOLANG_ORG);
    assert_eq!(db.direct_url(), "https://sum.golang.org");
    assert_eq!(parse("off").unwrap(), Gosumdb::Off);
    assert_eq!(parse("sum.golang.org").unwrap(), Gosumdb::On(db.clone()));
    assert_eq!(parse(SUM_GOLANG_ORG).unwrap(), Gosumdb::On(db.clone()));
    let Gosumdb::On(cn) = parse("sum.golang.google.cn").unwrap() else {
        panic!()
    };
    assert_eq!(cn.verifier, db.verifier);
    assert_eq!(cn.direct_url(), "https://sum.golang.google.cn");
    let Gosumdb::On(with_url) = parse("sum.golang.org https://sumdb.corp.example/go/").unwrap()
    else {
        panic!()
    };
    assert_eq!(with_url.direct_url(), "https://sumdb.corp.example/go");
    let (_, vkey) = test_key("sumdb.corp.example/go", 4);
    let Gosumdb::On(own) = parse(&format!("{vkey} http://127.0.0.1:9/x")).unwrap() else {
        panic!()
    };
    assert_eq!(own.name(), "sumdb.corp.example/go");
    assert_eq!(own.direct_url(), "http://127.0.0.1:9/x");
    for bad in [
        "",
        " ",
        "on",
        "sum.example.com",
        "sum.golang.org a b",
        "sum.golang.org ftp://x",
        "sum.golang.org not-a-url",
        &SUM_GOLANG_ORG.replace("Ac4z", "Ac4y"),
        &test_key("user@host", 1).1,
        &test_key("host/../x", 1).1,
        &test_key("host/", 1).1,
        &test_key("host?q", 1).1,
    ] {
        let err = parse(bad).unwrap_err();
        assert!(err.to_string().starts_with("GOSUMDB="), "{bad:?}: {err}");
    }
    use std::os::unix::ffi::OsStrExt;
    assert!(parse_gosumdb(Some(OsStr::from_bytes(b"\xff"))).is_err());
}

#[test]
fn the_real_lookup_response_parses_and_its_record_matches() {
    // The lookup response in the fixture, as sum.golang.org sent it: the record number, the
    // two go.sum lines, a blank line, then note 1.
    let fixture = include_str!("../../../../tests/fixtures/sumdb-signed-tree-heads.txt");
    let quoted: Vec<&str> = fixture
        .lines()
        .filter_map(|l| l.strip_prefix("#   "))
        .collect();
    assert_eq!(quoted.len(), 3, "{quoted:?}");
    let (key, notes) = real_key_and_notes();
    let body = format!(
        "{}\n{}\n{}\n\n{}",
        quoted[0], quoted[1], quoted[2], notes[0]
    );
    let record = Record::parse(body.as_bytes()).unwrap();
    assert_eq!(record.id, 60295460);
    assert_eq!(
        record.h1("github.com/go-chi/chi/v5", "v5.3.2"),
        Some("h1:5YQkICvTCSZ25hoRsyJazN0scjzKGiu4VAUc7H1o1nY=")
    );
    assert_eq!(
        record.h1("github.com/go-chi/chi/v5", "v5.3.2/go.mod"),
        Some("h1:R+tYY2hNuVUUjxoPtqUdgBqevM9s9njzkTLutVsOCto=")
    );
    let verifier = Verifier::parse(&key).unwrap();
    let tree = Tree::parse(verifier.open(record.note).unwrap()).unwrap();
    assert_eq!(tree.size, 63096908);
    assert!(
        record.id < tree.size,
        "the record lies inside the tree it came with"
    );
    assert_eq!(
        tlog::to_base64(&tree.hash),
        "8lHrQPRYe4KT4WQ9/Qk8/taKnD6IRHbFgfN7vQE2Y54="
    );
    let Gosumdb::On(db) = parse_gosumdb(None).unwrap() else {
        panic!()
    };
    assert_eq!(
        db.verifier, verifier,
        "the fixture's key is the built-in one"
    );
}

/// A second server for the same database (same name and key) with its own copy of a log: the
/// first `size` records of `records`, served at that size.
fn server_with(records: &[Vec<u8>], size: u64) -> TestDb {
    let db = test_db();
    db.records.replace(records.to_vec());
    db.serve(size);
    db
}

#[test]
fn a_lagging_server_s_older_tree_is_proved_from_the_kept_tiles() {
    // Every kind of size: inside the first tile, past it, past a level-1 tile, and up to
    // KEPT_RECORDS behind across tiles of both levels.
    for (kept, older) in [
        (2, 1),
        (40, 8),
        (300, 290),
        (300, 256),
        (300, 1),
        (3000, 3000 - KEPT_RECORDS),
        (65_536 + 1000, 65_536 - 500),
    ] {
        let db = test_db();
        append(&db, 0, kept as usize);
        db.serve(kept);
        let cache = tempfile::tempdir().unwrap();
        let database = db.database();
        let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
        client.prove(MODULE, &version(0)).unwrap();
        // Another server, behind: it has only the tiles of its own, older tree.
        let lagging = server_with(&db.records.borrow(), older);
        let client = Client::new(&database, &lagging.remote, BASE.into(), cache.path());
        let proof = client
            .prove(MODULE, &version(older as usize - 1))
            .unwrap_or_else(|e| panic!("{kept} -> {older}: {e}"));
        assert_eq!(proof.tree_size, older);
        let asked = lagging.remote.asked();
        let newer_tile = super::tiles::path(0, (kept - 1) / 256, (kept - 1) % 256 + 1);
        assert!(
            !asked.iter().any(|u| u.ends_with(&newer_tile)),
            "{kept} -> {older}: asked a server at #{older} for a tile of #{kept}: {asked:?}"
        );
        let latest = Latest::new(cache.path(), &database.verifier);
        assert_eq!(
            latest.load(&database.verifier).unwrap().unwrap().0.size,
            kept
        );
    }
}

#[test]
fn forks_before_and_after_the_kept_tree_are_security_errors() {
    let db = test_db();
    append(&db, 0, 10);
    db.serve(10);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    Client::new(&database, &db.remote, BASE.into(), cache.path())
        .prove(MODULE, &version(3))
        .unwrap();
    let records = db.records.borrow().clone();
    let inconsistent = |other: &TestDb, v: usize, sizes: &str| {
        let client = Client::new(&database, &other.remote, BASE.into(), cache.path());
        let err = client.prove(MODULE, &version(v)).unwrap_err();
        assert!(
            matches!(err, SumdbError::Inconsistent { .. }),
            "{sizes}: {err}"
        );
        let msg = err.to_string();
        assert!(
            msg.starts_with("SECURITY ERROR") && msg.contains(sizes),
            "{msg}"
        );
        assert!(!msg.contains("index_url"), "{msg}");
    };
    // A tree of one record that is not this log's first.
    let mut forked = records.clone();
    forked.swap(0, 5);
    inconsistent(&server_with(&forked, 1), 5, "#1");
    // An older tree whose history differs from record 4 on.
    let mut forked = records.clone();
    forked[4] = record_text("example.com/other", "v1.0.0", "h1:AAAA").into_bytes();
    inconsistent(&server_with(&forked, 6), 2, "#6");
    // A newer tree that forks after the kept one: its first 10 records are not these.
    let mut forked = records.clone();
    forked[9] = record_text("example.com/other", "v1.0.0", "h1:AAAA").into_bytes();
    forked.extend(records[..5].iter().cloned());
    inconsistent(&server_with(&forked, 15), 3, "#15");
    // A tree of the kept size with another root.
    inconsistent(&server_with(&forked, 10), 3, "#10");
    // None of them moved the kept tree.
    let latest = Latest::new(cache.path(), &database.verifier);
    assert_eq!(latest.load(&database.verifier).unwrap().unwrap().0.size, 10);
}

#[test]
fn a_missing_tile_names_gosumdb_and_why_it_was_needed() {
    let db = test_db();
    append(&db, 0, 600);
    db.serve(600);
    let cache = tempfile::tempdir().unwrap();
    let database = db.database();
    // Record 300 lies in tile 001, which this proof needs and the server has lost.
    db.remote.fail(&format!("{BASE}/tile/8/0/001"), 404);
    let client = Client::new(&database, &db.remote, BASE.into(), cache.path());
    let err = client.prove(MODULE, &version(300)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SumdbError::MissingTile { .. }), "{msg}");
    assert!(
        msg.contains("tile/8/0/001")
            && msg.contains("which the proof of record #300 in tree #600 needs")
            && msg.contains("check GOSUMDB")
            && !msg.contains("index_url"),
        "{msg}"
    );
    // Kept at #3000 from another record; a server at #100, more than KEPT_RECORDS behind,
    // cannot show it is a prefix (tile 000 of #3000 is full, and neither needed nor recent,
    // so not kept): not a fork, but said.
    append(&db, 600, 2400);
    Client::new(
        &database,
        &test_db_at(&db, 3000).remote,
        BASE.into(),
        cache.path(),
    )
    .prove(MODULE, &version(2999))
    .unwrap();
    let lagging = server_with(&db.records.borrow(), 100);
    let client = Client::new(&database, &lagging.remote, BASE.into(), cache.path());
    let err = client.prove(MODULE, &version(50)).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, SumdbError::MissingTile { .. }), "{msg}");
    assert!(
        msg.contains("it serves tree #100, older than tree #3000 this machine verified")
            && msg.contains("check GOSUMDB")
            && !msg.starts_with("SECURITY ERROR"),
        "{msg}"
    );
}

/// A fresh copy of `db`'s log served whole at `size`, on a remote of its own.
fn test_db_at(db: &TestDb, size: u64) -> TestDb {
    server_with(&db.records.borrow(), size)
}

#[test]
fn kept_tiles_are_exactly_those_the_root_proves() {
    use super::tiles::{TileCache, TileHashes, kept_tiles};
    for size in [1u64, 7, 255, 256, 257, 600, 65_536 + 256 * 3 + 7] {
        let db = test_db();
        append(&db, 0, size as usize);
        db.serve(size);
        let server = Server {
            remote: &db.remote,
            base: BASE.into(),
        };
        let cache = TileCache::default();
        let tiles = TileHashes {
            server: &server,
            size,
            cache: &cache,
        };
        let root = tlog::tree_hash(&tiles, size).unwrap();
        // Proofs of the first and the last record bring full tiles in too.
        tlog::inclusion_proof(&tiles, size, 0).unwrap();
        tlog::inclusion_proof(&tiles, size, size - 1).unwrap();
        let tree = Tree { size, hash: root };
        let all = cache.all();
        let kept = kept_tiles(&tree, &all);
        assert_eq!(
            kept.len(),
            all.len(),
            "#{size}: every fetched tile is proved"
        );
        // A tile with one bit changed is never kept; nor is a tile of another tree.
        for key in all.keys() {
            let mut bent = all.clone();
            bent.get_mut(key).unwrap()[5] ^= 1;
            let kept = kept_tiles(&tree, &bent);
            assert!(!kept.contains_key(key), "#{size}: {key:?} changed yet kept");
        }
        let other = Tree {
            size,
            hash: [7; 32],
        };
        assert!(kept_tiles(&other, &all).is_empty());
    }
}
