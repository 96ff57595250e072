//! The manifest parser (`Manifest::from_bytes`: serde-saphyr with budgets,
//! then validation) on arbitrary bytes. Bytes after the first `0xff` (never
//! in UTF-8) are a JSON value checked as the config and as every action's
//! parameters. A manifest that validates must validate again, to the same
//! manifest, from its own JSON form (JSON is YAML).

#![no_main]

use libfuzzer_sys::fuzz_target;
use morph_runtime_core::Manifest;

fuzz_target!(|data: &[u8]| {
    let (text, json) = match data.iter().position(|&b| b == 0xff) {
        Some(i) => (&data[..i], Some(&data[i + 1..])),
        None => (data, None),
    };
    let Ok(manifest) = Manifest::from_bytes(text) else {
        return;
    };
    let again = serde_json::to_string(&manifest).expect("a manifest serialises");
    match Manifest::from_yaml(&again) {
        Ok(m) => assert_eq!(m, manifest, "the manifest changed through its JSON form"),
        Err(e) => panic!("a valid manifest's JSON form is refused: {e}\n{again}"),
    }
    for action in &manifest.actions {
        let _ = action.parameters_schema();
    }
    if let Some(value) = json.and_then(|j| serde_json::from_slice(j).ok()) {
        let _ = manifest.validate_config(&value);
        for action in &manifest.actions {
            let _ = action.validate_params(&value);
        }
    }
});
