//! The hook's bookkeeping in the shell: one exported variable, `_GOPIN_STATE` (JSON), holding
//! the user's own values of the managed variables from before gopin first changed them, the
//! values gopin set, and the PATH entries it added (docs/shell.md). From it the hook tells
//! whose each value is now, so restoring is exact and a value another tool set after gopin
//! did is that tool's to keep.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::store::Store;

pub const STATE_VAR: &str = "_GOPIN_STATE";

/// How many earlier values the state remembers.
pub(super) const HISTORY: usize = 16;

/// An environment value in the state: text when it is UTF-8, else its bytes in hex, so a
/// value that is not UTF-8 comes back byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value(pub OsString);

#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum ValueRepr {
    Text(String),
    Bytes { hex: String },
}

impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0.to_str() {
            Some(text) => ValueRepr::Text(text.to_string()),
            None => ValueRepr::Bytes {
                hex: crate::fsio::hex(self.0.as_bytes()),
            },
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Value(match ValueRepr::deserialize(d)? {
            ValueRepr::Text(t) => t.into(),
            ValueRepr::Bytes { hex } => OsString::from_vec(
                crate::fsio::unhex(&hex).ok_or_else(|| serde::de::Error::custom("bad hex"))?,
            ),
        }))
    }
}

/// Managed variables and their values (`None`: unset).
pub(super) type Values = BTreeMap<String, Option<Value>>;

/// One earlier value gopin set: the variable, the value, and the user's value under it.
pub(super) type Earlier = (String, Value, Option<Value>);

/// gopin's bookkeeping in the shell, present exactly while a version is active.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HookState {
    /// The user's values of the managed variables from before gopin changed them (`None`
    /// inside: unset).
    #[serde(default)]
    pub saved: Values,
    /// The values gopin set: a variable whose value differs from this was changed by someone
    /// else since, and is theirs.
    #[serde(default)]
    pub set: Values,
    /// The PATH entries gopin put in front.
    #[serde(default)]
    pub added: Vec<Value>,
    /// For values gopin set before (`GOROOT` of an earlier version, say), what was
    /// underneath each: a tool that puts back a snapshot taken while gopin was active (direnv
    /// leaving its directory) restores one of them, and this says what the user's was then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<Earlier>,
    /// The values when nothing was last active: a tool that changes a variable to one of
    /// these while gopin is active is giving the user's value back, not setting its own.
    #[serde(default, skip_serializing_if = "Values::is_empty")]
    pub user: Values,
}

impl HookState {
    /// Reads the state; anything unreadable is no state (the environment is then reconciled
    /// from what it holds).
    pub fn parse(raw: Option<&OsStr>) -> HookState {
        raw.and_then(|s| serde_json::from_slice(s.as_bytes()).ok())
            .unwrap_or_default()
    }

    /// The PATH entries gopin put in front, as paths.
    pub fn added(&self) -> Vec<PathBuf> {
        self.added.iter().map(|v| PathBuf::from(&v.0)).collect()
    }

    /// Whose `name`'s value `now` is, and the value it would have if gopin had not touched it:
    /// - what gopin set: the value gopin saved;
    /// - one of gopin's own earlier values, put back by a tool that restored a snapshot taken
    ///   while gopin was active (direnv leaving a directory): what was underneath that value;
    /// - another tool's, set over gopin's: if it is the user's own value coming back (the value
    ///   it had when nothing was active, or one that was underneath gopin's), that; otherwise
    ///   an override (mise or an `.envrc` setting its own), and the user's value is still the
    ///   saved one, never the tool's.
    pub(super) fn underneath(&self, store: &Store, name: &str, now: Option<Value>) -> Under {
        let saved = || self.saved.get(name).cloned().flatten();
        let ours = now.as_ref().is_some_and(|v| gopin_owned(store, name, &v.0));
        // One of gopin's own earlier values (a store path, or `GOTOOLCHAIN=local`), put back.
        let earlier = self
            .history
            .iter()
            .find(|(n, v, _)| n == name && Some(v) == now.as_ref());
        match self.set.get(name) {
            Some(set) if *set == now => Under::Ours(saved()),
            _ if earlier.is_some() => Under::Ours(earlier.and_then(|(_, _, under)| under.clone())),
            _ if ours => Under::Ours(saved()),
            Some(_) => {
                let users = self.user.get(name) == Some(&now)
                    || self
                        .history
                        .iter()
                        .any(|(n, _, under)| n == name && *under == now);
                Under::Theirs(if users { now } else { saved() })
            }
            // Nothing of gopin's is active. A value that changed since the last prompt gopin
            // saw (the hook checks every prompt at which these change) changed in the same
            // command line or prompt as this switch: another tool's (mise or direnv entering the
            // directory first), and the user's is the one gopin saw.
            None => match self.user.get(name) {
                Some(user) if *user != now && !ours => Under::Theirs(user.clone()),
                _ => Under::Ours(now),
            },
        }
    }
}

/// Whose value a managed variable holds now, and what the user's value underneath is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Under {
    /// gopin's (what it set, or one of its earlier values that a tool put back), or nobody
    /// else's: the user's value underneath is this.
    Ours(Option<Value>),
    /// Another tool changed it after gopin set it: theirs to keep while nothing is active.
    /// The user's value underneath is this.
    Theirs(Option<Value>),
}

/// Whether `value` of `name` is one gopin makes, and so never the user's.
fn gopin_owned(store: &Store, name: &str, value: &OsStr) -> bool {
    match name {
        "GOPIN_VERSION" | "GOPIN_SOURCE" => true,
        "GOROOT" | "GOBIN" => store.owns_path_entry(Path::new(value)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn old_states_still_parse() {
        let old =
            r#"{"key":"k","saved":{"GOROOT":"/usr/local/go","GOBIN":null},"added":["/s/go/bin"]}"#;
        let state = HookState::parse(Some(OsStr::new(old)));
        assert_eq!(state.saved["GOROOT"], Some(Value("/usr/local/go".into())));
        assert_eq!(state.added(), [PathBuf::from("/s/go/bin")]);
    }
}
