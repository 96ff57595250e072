//! `morph token create NAME --scope invoke|admin [--code-max-*] | list |
//! revoke NAME`: the bearer tokens of `morph serve`, with their own code
//! mode limits where given. A token is printed once, at creation; the data
//! dir keeps only its SHA-256.

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
            TokenAction::Create { name, scope, code } => {
                let scope = Scope::parse(scope)?;
                let code_policy = code.policy();
                let token = store.create_with(name, scope, code_policy)?;
                let mut doc = json!({"name": name, "scope": scope, "token": token});
                if !code_policy.is_empty() {
                    doc["code_policy"] = json!(code_policy);
                }
                Ok::<_, Error>((doc, format!("{token}\n")))
            }
            TokenAction::List => {
                let tokens = store.list()?;
                let text = tokens
                    .iter()
                    .map(|t| {
                        let limits = if t.code_policy.is_empty() {
                            String::new()
                        } else {
                            format!(" code {}", json!(t.code_policy))
                        };
                        format!("{:<32} {}{limits}\n", t.name, t.scope.as_str())
                    })
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
