//! `morph keygen`: a new Ed25519 publisher key pair (private key 0600,
//! public key beside it as `.pub`).

use std::io::Write;

use morph_package::keys::{
    generate_signing_key, public_key_hex, write_public_key, write_signing_key,
};
use serde_json::json;

use crate::args::KeygenArgs;
use crate::output::{failure, success};

pub fn keygen(args: &KeygenArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let key = generate_signing_key();
    let public = key.verifying_key();
    let mut pub_path = args.out.clone().into_os_string();
    pub_path.push(".pub");
    let pub_path = std::path::PathBuf::from(pub_path);
    let written =
        write_signing_key(&args.out, &key).and_then(|()| write_public_key(&pub_path, &public));
    if let Err(e) = written {
        return failure(out, err, args.json, &e, &[]);
    }
    let doc = json!({
        "private_key_file": args.out,
        "public_key_file": pub_path,
        "public_key": public_key_hex(&public),
    });
    if args.json {
        return success(out, true, &doc, &[]);
    }
    let _ = writeln!(out, "private key: {} (keep it secret)", args.out.display());
    let _ = writeln!(
        out,
        "public key:  {} ({})",
        pub_path.display(),
        public_key_hex(&public)
    );
    let _ = writeln!(
        out,
        "users trust it with: morph trust add <name> {}",
        pub_path.display()
    );
    0
}
