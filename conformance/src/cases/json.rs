//! Values crossing the boundary: every JSON type, unicode, nesting, 1 MiB.

use serde_json::{Value, json};

use crate::case::{Case, Expect, Ext, Group};

fn echo(id: &'static str, title: &'static str, value: Value) -> Case {
    // Room for the 1 MiB case's wrapper beyond the default 1024 KiB.
    let probe = Ext::probe("probe").limits("max_output_kb: 2048");
    Case::new(id, Group::Json, title, probe).call(
        "echo",
        json!({ "value": value.clone() }),
        Expect::Value(json!({ "value": value })),
    )
}

fn nested(depth: usize) -> Value {
    let mut v = json!("bottom");
    for i in 0..depth {
        v = if i % 2 == 0 {
            json!([v])
        } else {
            json!({ "k": v })
        };
    }
    v
}

pub(super) fn cases() -> Vec<Case> {
    vec![
        echo(
            "json.every_type",
            "null, booleans, integers, floats, strings, arrays and objects come back unchanged",
            json!({
                "null": null, "t": true, "f": false, "zero": 0, "int": 42, "neg": -7,
                "max_safe": 9_007_199_254_740_991_i64, "min_safe": -9_007_199_254_740_991_i64,
                "float": 1.5, "small": 0.000_001, "str": "s", "empty": "",
                "arr": [1, "a", null, [], {}], "obj": {"k": {"k2": []}}
            }),
        ),
        echo(
            "json.unicode",
            "non-ASCII text, astral characters, escapes and NUL come back unchanged",
            json!("héllo ✓ 日本語 🦀 \u{202e}rtl \u{0} nul \"quoted\" \\ back\nslash \u{fffd}"),
        ),
        echo(
            "json.unicode_keys",
            "object keys in any script keep their text and order-independent meaning",
            json!({"ключ": 1, "鍵": 2, "🔑": 3, "": 4}),
        ),
        echo(
            "json.nesting",
            "values nested 64 levels deep come back unchanged",
            nested(64),
        ),
        echo(
            "json.one_mib",
            "a 1 MiB string comes back unchanged",
            json!("m".repeat(1 << 20)),
        ),
    ]
}
