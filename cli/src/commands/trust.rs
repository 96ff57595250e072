//! `morph trust add|list|remove`: the trust store of publisher keys that
//! `.morph` packages must be signed with.

use std::io::Write;

use morph_package::keys::read_public_key;
use morph_runtime_core::Error;
use serde_json::json;

use super::verify::trust_store;
use crate::args::{TrustAction, TrustArgs};
use crate::output::{failure, success};

pub fn trust(args: &TrustArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let result = (|| {
        let mut store = trust_store(&args.trust)?;
        match &args.action {
            TrustAction::Add { name, key } => {
                let key = read_public_key(key)?;
                store.add(name, key)?;
            }
            TrustAction::Remove { name } => {
                if !store.remove(name)? {
                    return Err(Error::params("name", format!("`{name}` is not trusted")));
                }
            }
            TrustAction::List => {}
        }
        Ok::<_, Error>(store)
    })();
    let store = match result {
        Ok(s) => s,
        Err(e) => return failure(out, err, args.json, &e, &[]),
    };
    let publishers: Vec<_> = store
        .publishers()
        .into_iter()
        .map(|p| json!({"name": p.name, "public_key": p.key_hex()}))
        .collect();
    if args.json {
        return success(out, true, &json!({ "publishers": publishers }), &[]);
    }
    if publishers.is_empty() {
        let _ = writeln!(out, "no trusted publishers");
    }
    for p in store.publishers() {
        let _ = writeln!(out, "{}  {}", p.name, p.key_hex());
    }
    0
}
