//! An in-memory checksum database for tests, which can be made to misbehave.

use std::cell::RefCell;

use super::note::tests::{sign, test_key};
use super::tiles::tests::publish;
use super::tlog::tests::MemoryLog;
use super::*;
use crate::net::remote::InMemory;

/// A database: a key, a log of go.sum records, and what it serves from `base` on `remote`.
pub struct TestDb {
    pub name: &'static str,
    pub key: RefCell<ed25519_dalek::SigningKey>,
    pub vkey: String,
    pub records: RefCell<Vec<Vec<u8>>>,
    pub remote: InMemory,
    pub base: String,
}

/// The record the database keeps for a module version: its zip's h1 and its go.mod's.
pub fn record_text(module: &str, version: &str, h1: &str) -> String {
    format!(
        "{module} {version} {h1}\n{module} {version}/go.mod h1:8wlg68NqwW7eMnI1aABk/C2pDYXj8mrMY4TyRfiLeS0=\n"
    )
}

impl TestDb {
    pub fn new(name: &'static str, base: &str) -> TestDb {
        let (key, vkey) = test_key(name, 7);
        TestDb {
            name,
            key: RefCell::new(key),
            vkey,
            records: RefCell::default(),
            remote: InMemory::default(),
            base: base.to_string(),
        }
    }

    pub fn database(&self) -> Database {
        Database {
            verifier: Verifier::parse(&self.vkey).unwrap(),
            url: None,
        }
    }

    /// Appends the record of `module version` with zip hash `h1`.
    pub fn add(&self, module: &str, version: &str, h1: &str) {
        self.records
            .borrow_mut()
            .push(record_text(module, version, h1).into_bytes());
    }

    pub fn size(&self) -> u64 {
        self.records.borrow().len() as u64
    }

    /// The signed note for the first `size` records.
    pub fn note(&self, size: u64) -> String {
        let log = MemoryLog::new(&self.records.borrow()[..size as usize]);
        self.note_of(&log, size)
    }

    fn note_of(&self, log: &MemoryLog, size: u64) -> String {
        let root = tlog::tree_hash(log, size).unwrap();
        let text = format!("go.sum database tree\n{size}\n{}\n", tlog::to_base64(&root));
        sign(&text, self.name, &self.key.borrow())
    }

    /// Serves the log at `size` records: tiles, and a lookup for every record in it.
    pub fn serve(&self, size: u64) {
        let log = MemoryLog::new(&self.records.borrow()[..size as usize]);
        publish(&self.remote, &self.base, &log, size);
        let note = self.note_of(&log, size);
        for (id, text) in self.records.borrow()[..size as usize].iter().enumerate() {
            let text = std::str::from_utf8(text).unwrap();
            let mut fields = text.split(' ');
            let (module, version) = (fields.next().unwrap(), fields.next().unwrap());
            self.remote.put(
                &format!("{}/lookup/{module}@{version}", self.base),
                format!("{id}\n{text}\n{note}"),
            );
        }
    }
}
