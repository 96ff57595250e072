//! `morph run PACKAGE ACTION`: load one extension and run one action.

use std::io::Write;
use std::path::Path;

use morph_runtime_core::{Error, Host, Isolation, LoadOptions};
use serde_json::Value;

use crate::args::{EngineArg, IsolationArg, RunArgs};
use crate::data_dir::default_data_dir;
use crate::output::{failure, success};

pub async fn run(args: RunArgs, out: &mut dyn Write, err: &mut dyn Write) -> u8 {
    let json_mode = args.json;
    match prepare(&args, err) {
        Err(e) => failure(out, err, json_mode, &e, &[]),
        Ok((host, params, config)) => match host.load(&args.package, config).await {
            Err(e) => failure(out, err, json_mode, &e, &[]),
            Ok(id) => {
                let execution = host.execute_traced(&id, &args.action, params).await;
                match &execution.result {
                    Ok(value) => success(out, json_mode, value, &execution.audit),
                    Err(e) => failure(out, err, json_mode, e, &execution.audit),
                }
            }
        },
    }
}

fn prepare(args: &RunArgs, err: &mut dyn Write) -> Result<(Host, Value, Value), Error> {
    let params = parse_json("params", &args.params)?;
    let config = parse_json("config", &args.config)?;
    check_package_kind(&args.package, err)?;
    let options = LoadOptions {
        isolation: args.isolation.map(|i| match i {
            IsolationArg::PerCall => Isolation::PerCall,
            IsolationArg::Pooled => Isolation::Pooled,
            IsolationArg::Process => Isolation::Process,
        }),
        engine: args.engine.map(|e| {
            match e {
                EngineArg::Wasmer => "wasmer",
                EngineArg::Wasmi => "wasmi",
            }
            .to_owned()
        }),
    };
    let data_dir = args.data_dir.clone().unwrap_or_else(default_data_dir);
    let host = Host::builder()
        .with_data_dir(data_dir)
        .with_load_options(options)
        .build()?;
    Ok((host, params, config))
}

fn parse_json(field: &str, text: &str) -> Result<Value, Error> {
    serde_json::from_str(text).map_err(|e| Error::params(field, format!("not valid JSON: {e}")))
}

/// Directories run unsigned with a warning; `.morph` archives need the
/// packaging support that verifies their signature before anything runs.
fn check_package_kind(package: &Path, err: &mut dyn Write) -> Result<(), Error> {
    if package.is_dir() {
        let _ = writeln!(
            err,
            "warning: running unsigned development package {}",
            package.display()
        );
        return Ok(());
    }
    if package.is_file() {
        return Err(Error::InvalidPackage {
            reason: format!(
                "{}: `.morph` archives cannot be verified by this build yet; run the extension directory instead",
                package.display()
            ),
        });
    }
    Err(Error::InvalidPackage {
        reason: format!("{} does not exist", package.display()),
    })
}
