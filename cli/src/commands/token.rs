//! `morph token create NAME --scope invoke|admin | list | revoke NAME`: the
//! bearer tokens of `morph serve`. A token is printed once, at creation;
//! the data dir keeps only its SHA-256.

use std::io::Write;

use morph_runtime_core::Error;
use morph_serve::{Scope, TokenStore};
use serde_json::json;

use crate::args::{TokenAction, TokenArgs};
use crate::data_dir::default_data_dir;
use crate::output::outcome;

pub fn token(args: &TokenArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let done = (|| {
        let store = TokenStore::open_in(&data_dir)?;
        match &args.action {
            TokenAction::Create { name, scope } => {
                let scope = Scope::parse(scope)?;
                let token = store.create(name, scope)?;
                Ok::<_, Error>((
                    json!({"name": name, "scope": scope, "token": token}),
                    format!("{token}\n"),
                ))
            }
            TokenAction::List => {
                let tokens = store.list()?;
                let text = tokens
                    .iter()
                    .map(|t| format!("{:<32} {}\n", t.name, t.scope.as_str()))
                    .collect::<String>();
                Ok((json!({"tokens": tokens}), text))
            }
            TokenAction::Revoke { name } => {
                if !store.revoke(name)? {
                    return Err(Error::params("name", format!("there is no token `{name}`")));
                }
                Ok((
                    json!({"name": name, "revoked": true}),
                    format!("revoked {name}\n"),
                ))
            }
        }
    })();
    outcome(out, err, args.json, done)
}
