//! `morph tags REGISTRY/REPO`: the tags (versions) of a package repository.

use std::io::Write;

use morph_package::oci::Reference;
use serde_json::json;

use crate::args::TagsArgs;
use crate::output::{failure, success};

pub async fn tags(args: &TagsArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let listed = async {
        let reference: Reference = args.reference.parse()?;
        super::pull::client(args.registry)?.tags(&reference).await
    }
    .await;
    match listed {
        Err(e) => failure(out, err, args.json, &e, &[]),
        Ok(tags) => {
            if args.json {
                return success(out, true, &json!({ "tags": tags }), &[]);
            }
            for t in tags {
                let _ = writeln!(out, "{t}");
            }
            0
        }
    }
}
