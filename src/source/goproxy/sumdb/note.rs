//! Signed notes, the envelope of every tree head a checksum database publishes (the format of
//! `golang.org/x/mod/sumdb/note`):
//!
//! ```text
//! go.sum database tree            ┐
//! 63096908                        │ the text: what is signed, every line ending in \n
//! 8lHrQPRYe4KT4WQ9/Qk8/taKnD6I…=  ┘
//!                                   a blank line
//! — sum.golang.org Az3gri/oVBN1…=   one line per signature: "— <name> base64(keyhash ‖ sig)"
//! ```
//!
//! A verifier key is `<name>+<8 hex digits>+<base64(0x01 ‖ 32-byte ed25519 key)>`; the hex
//! digits are the first four bytes of SHA-256(`<name>\n` ‖ key bytes), so a key copied with
//! one character wrong is refused rather than trusted.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;

/// The algorithm byte of an ed25519 key, the only kind Go defines.
const ED25519: u8 = 1;
/// Go refuses notes with more signatures than this; so does gopin.
const MAX_SIGNATURES: usize = 100;
/// The start of every signature line: an em dash and a space.
const SIG_PREFIX: &str = "\u{2014} ";

#[derive(Debug, Clone, Error, PartialEq, Eq)]
pub enum NoteError {
    #[error(
        "'{0}' is not a verifier key: expected name+hash+key, as sum.golang.org+033de0ae+Ac4z…"
    )]
    MalformedKey(String),
    #[error(
        "the verifier key '{0}' uses an algorithm gopin does not know (only ed25519 is defined)"
    )]
    UnknownAlgorithm(String),
    #[error(
        "the verifier key '{0}' is damaged: its hash does not match its name and key (check it was copied whole)"
    )]
    KeyHash(String),
    #[error("the signed note is malformed ({0})")]
    Malformed(&'static str),
    #[error("the signature by {name}+{hash:08x} is invalid: the note was altered or forged")]
    BadSignature { name: String, hash: u32 },
    #[error("the note is not signed by {want}{}", describe_others(others))]
    NotSigned { want: String, others: Vec<String> },
}

fn describe_others(others: &[String]) -> String {
    if others.is_empty() {
        String::new()
    } else {
        format!(" (only by {})", others.join(", "))
    }
}

/// A parsed verifier key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    name: String,
    hash: u32,
    key: VerifyingKey,
    /// The key as written, for messages and records.
    text: String,
}

/// The name a key or signature is given: non-empty, no spaces, no `+`.
fn valid_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(char::is_whitespace) && !name.contains('+')
}

/// The first four bytes of SHA-256(name ‖ "\n" ‖ key), big-endian.
fn key_hash(name: &str, key: &[u8]) -> u32 {
    let mut h = Sha256::new();
    h.update(name.as_bytes());
    h.update(b"\n");
    h.update(key);
    let sum = h.finalize();
    u32::from_be_bytes([sum[0], sum[1], sum[2], sum[3]])
}

impl Verifier {
    /// Parses `name+hash+key`.
    pub fn parse(vkey: &str) -> Result<Verifier, NoteError> {
        let malformed = || NoteError::MalformedKey(vkey.to_string());
        let mut parts = vkey.splitn(3, '+');
        let (Some(name), Some(hash16), Some(key64)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed());
        };
        if !valid_name(name) || hash16.len() != 8 || !hash16.bytes().all(|b| b.is_ascii_hexdigit())
        {
            return Err(malformed());
        }
        let hash = u32::from_str_radix(hash16, 16).map_err(|_| malformed())?;
        let key = BASE64.decode(key64).map_err(|_| malformed())?;
        if key.is_empty() {
            return Err(malformed());
        }
        if hash != key_hash(name, &key) {
            return Err(NoteError::KeyHash(vkey.to_string()));
        }
        if key[0] != ED25519 {
            return Err(NoteError::UnknownAlgorithm(vkey.to_string()));
        }
        let bytes: [u8; 32] = key[1..].try_into().map_err(|_| malformed())?;
        let key = VerifyingKey::from_bytes(&bytes).map_err(|_| malformed())?;
        Ok(Verifier {
            name: name.to_string(),
            hash,
            key,
            text: vkey.to_string(),
        })
    }

    /// The database's name (`sum.golang.org`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The key as written (`name+hash+key`).
    #[cfg(test)]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `name+hash`, how Go names a key in messages.
    pub fn id(&self) -> String {
        format!("{}+{:08x}", self.name, self.hash)
    }

    /// Checks that `msg` is a well-formed note signed by this key and returns its text.
    /// Signatures by other keys are ignored, as `go` ignores them; a bad signature by this
    /// key is an error even when another one is good.
    pub fn open<'m>(&self, msg: &'m [u8]) -> Result<&'m str, NoteError> {
        let msg = std::str::from_utf8(msg).map_err(|_| NoteError::Malformed("not UTF-8"))?;
        if msg.chars().any(|c| c < ' ' && c != '\n') {
            return Err(NoteError::Malformed("control characters"));
        }
        let split = msg
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no signature block"))?;
        let (text, sigs) = (&msg[..split + 1], &msg[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(NoteError::Malformed(
                "the signature block does not end a line",
            ));
        }
        let mut verified = false;
        let mut others = Vec::new();
        for (i, line) in sigs.lines().enumerate() {
            if i >= MAX_SIGNATURES {
                return Err(NoteError::Malformed("too many signatures"));
            }
            let (name, hash, sig) = signature_line(line)?;
            if name != self.name || hash != self.hash {
                others.push(format!("{name}+{hash:08x}"));
                continue;
            }
            let sig: [u8; 64] = sig.try_into().map_err(|_| NoteError::BadSignature {
                name: name.to_string(),
                hash,
            })?;
            self.key
                .verify_strict(text.as_bytes(), &Signature::from_bytes(&sig))
                .map_err(|_| NoteError::BadSignature {
                    name: name.to_string(),
                    hash,
                })?;
            verified = true;
        }
        if !verified {
            return Err(NoteError::NotSigned {
                want: self.id(),
                others,
            });
        }
        Ok(text)
    }
}

/// Splits `— name base64` into the name, the key hash and the signature bytes.
fn signature_line(line: &str) -> Result<(&str, u32, Vec<u8>), NoteError> {
    let malformed = NoteError::Malformed("a signature line is not '— name signature'");
    let rest = line.strip_prefix(SIG_PREFIX).ok_or(malformed.clone())?;
    let (name, b64) = rest.split_once(' ').ok_or(malformed.clone())?;
    let sig = BASE64.decode(b64).map_err(|_| malformed.clone())?;
    if !valid_name(name) || sig.len() < 5 {
        return Err(malformed);
    }
    let hash = u32::from_be_bytes([sig[0], sig[1], sig[2], sig[3]]);
    Ok((name, hash, sig[4..].to_vec()))
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use ed25519_dalek::{Signer, SigningKey};

    /// A key pair for tests: the signing key and its verifier key text.
    pub fn test_key(name: &str, seed: u8) -> (SigningKey, String) {
        let signing = SigningKey::from_bytes(&[seed; 32]);
        let mut key = vec![ED25519];
        key.extend_from_slice(signing.verifying_key().as_bytes());
        let vkey = format!(
            "{name}+{:08x}+{}",
            key_hash(name, &key),
            BASE64.encode(&key)
        );
        (signing, vkey)
    }

    /// Signs `text` as the note a database named `name` would publish.
    pub fn sign(text: &str, name: &str, signing: &SigningKey) -> String {
        let mut key = vec![ED25519];
        key.extend_from_slice(signing.verifying_key().as_bytes());
        let mut sig = key_hash(name, &key).to_be_bytes().to_vec();
        sig.extend_from_slice(&signing.sign(text.as_bytes()).to_bytes());
        format!("{text}\n{SIG_PREFIX}{name} {}\n", BASE64.encode(sig))
    }

    const REAL: &str = include_str!("../../../../tests/fixtures/sumdb-signed-tree-heads.txt");

    /// The real key and the real notes from the fixture (comment lines dropped).
    pub fn real_key_and_notes() -> (String, Vec<String>) {
        let lines: Vec<&str> = REAL.lines().filter(|l| !l.starts_with('#')).collect();
        let key = lines
            .iter()
            .find(|l| l.starts_with("sum.golang.org+"))
            .expect("the fixture has the key")
            .to_string();
        let mut notes = Vec::new();
        for (i, line) in lines.iter().enumerate() {
            if *line == "go.sum database tree" {
                let note: Vec<&str> = lines[i..i + 5].to_vec();
                notes.push(format!("{}\n", note.join("\n")));
            }
        }
        (key, notes)
    }

    #[test]
    fn real_tree_heads_verify_against_the_real_key() {
        let (key, notes) = real_key_and_notes();
        let v = Verifier::parse(&key).unwrap();
        assert_eq!(v.name(), "sum.golang.org");
        assert_eq!(v.id(), "sum.golang.org+033de0ae");
        assert_eq!(notes.len(), 2);
        for note in &notes {
            let text = v.open(note.as_bytes()).unwrap();
            assert!(text.starts_with("go.sum database tree\n"), "{text}");
        }
    }

    #[test]
    fn one_changed_byte_anywhere_fails() {
        let (key, notes) = real_key_and_notes();
        let v = Verifier::parse(&key).unwrap();
        for note in &notes {
            for i in 0..note.len() {
                let mut bytes = note.clone().into_bytes();
                if bytes[i] >= 0x80 {
                    continue; // inside the em dash: malformed either way, tested below
                }
                bytes[i] = if bytes[i] == b'1' { b'2' } else { b'1' };
                assert!(v.open(&bytes).is_err(), "byte {i} changed still verifies");
            }
        }
        let mut dash = notes[0].clone().into_bytes();
        let at = notes[0].find(SIG_PREFIX).unwrap();
        dash[at + 1] ^= 1;
        assert!(v.open(&dash).is_err());
    }

    #[test]
    fn keys_are_checked_before_use() {
        let (key, _) = real_key_and_notes();
        assert!(Verifier::parse(&key).is_ok());
        // One character of the key changed: the hash no longer matches.
        let bad = key.replace("Ac4z", "Ac4y");
        assert!(matches!(Verifier::parse(&bad), Err(NoteError::KeyHash(_))));
        for bad in [
            "",
            "sum.golang.org",
            "sum.golang.org+033de0ae",
            "sum.golang.org+033de0a+Ac4z",
            "sum.golang.org+zzzzzzzz+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
            "+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
            "sum golang+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8",
            "sum.golang.org+033de0ae+!!!",
        ] {
            assert!(Verifier::parse(bad).is_err(), "{bad:?} parsed");
        }
        // A well-formed key of an unknown algorithm.
        let key = [2u8; 33];
        let text = format!("x+{:08x}+{}", key_hash("x", &key), BASE64.encode(key));
        assert!(matches!(
            Verifier::parse(&text),
            Err(NoteError::UnknownAlgorithm(_))
        ));
    }

    #[test]
    fn notes_signed_by_another_key_are_refused_naming_both() {
        let (ours, ours_text) = test_key("db.test", 1);
        let (theirs, _) = test_key("db.test", 2);
        let v = Verifier::parse(&ours_text).unwrap();
        let text = "go.sum database tree\n3\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
        assert_eq!(
            v.open(sign(text, "db.test", &ours).as_bytes()).unwrap(),
            text
        );
        let forged = sign(text, "db.test", &theirs);
        let err = v.open(forged.as_bytes()).unwrap_err();
        assert!(matches!(err, NoteError::NotSigned { .. }), "{err}");
        assert!(err.to_string().contains(&v.id()), "{err}");
        // Both signatures: ours must still be valid.
        let both = format!(
            "{}{}",
            sign(text, "db.test", &ours),
            &forged[text.len() + 1..]
        );
        assert_eq!(v.open(both.as_bytes()).unwrap(), text);
        // Our key's hash on a signature that is not ours.
        let mut wrong = sign(text, "db.test", &ours).into_bytes();
        let n = wrong.len();
        wrong[n - 10] = if wrong[n - 10] == b'A' { b'B' } else { b'A' };
        assert!(matches!(
            v.open(&wrong),
            Err(NoteError::BadSignature { .. }) | Err(NoteError::Malformed(_))
        ));
    }

    #[test]
    fn malformed_notes_are_refused() {
        let (key, text) = test_key("db.test", 1);
        let v = Verifier::parse(&text).unwrap();
        let good = sign("hello\n", "db.test", &key);
        assert!(v.open(good.as_bytes()).is_ok());
        for bad in [
            good.trim_end().to_string(),
            good.replace("\n\n", "\n"),
            good.replace("hello", "he\x07llo"),
            good.replace('\u{2014}', "-"),
            format!("{good}\n"),
        ] {
            assert!(v.open(bad.as_bytes()).is_err(), "{bad:?} opened");
        }
        assert!(v.open(b"hello\n\n\xff\n").is_err());
    }
}
