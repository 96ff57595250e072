//! Guest-shaped values from fuzz input: JSON trees that the host sends in
//! (deep nesting, 64-bit edges, odd strings and keys) and small programs
//! that make a guest build values only its own language has (BigInt, NaN,
//! proxies, cycles, sparse arrays, big ints, sets, surrogates...).

use arbitrary::{Arbitrary, Unstructured};
use serde_json::{Map, Number, Value, json};

/// Keys that mean something to an engine, and a few ordinary ones.
const KEYS: [&str; 14] = [
    "__proto__",
    "constructor",
    "prototype",
    "toJSON",
    "then",
    "length",
    "0",
    "4294967295",
    "",
    "__class__",
    "__dict__",
    "a",
    "b",
    "\u{0}",
];

/// Numbers at the edges of i32, i64, u64, f64 and 2^53.
const NUMBERS: [f64; 12] = [
    0.0,
    -0.0,
    1.5,
    -1.0,
    2147483647.0,
    2147483648.0,
    -2147483649.0,
    9007199254740993.0,
    1e308,
    -1e-320,
    5e-324,
    1.7976931348623157e308,
];

/// A JSON value as the host sends it.
#[derive(Debug, Arbitrary)]
pub enum Tree {
    /// `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (past `i64::MAX` when large).
    Uint(u64),
    /// A float (non-finite ones become `null`, as JSON has none).
    Float(f64),
    /// An edge-case number.
    Edge(u8),
    /// Any string.
    Str(String),
    /// A string with a non-BMP character, NUL and a combining mark.
    OddStr(u8),
    /// An array.
    Array(Vec<Tree>),
    /// An object with fuzz-chosen keys.
    Object(Vec<(Key, Tree)>),
    /// `depth` arrays (or objects) around a value.
    Deep(u8, bool, Box<Tree>),
}

/// An object key: a meaningful one or any string.
#[derive(Debug, Arbitrary)]
pub enum Key {
    /// One of [`KEYS`].
    Known(u8),
    /// Any string.
    Any(String),
}

impl Key {
    fn text(&self) -> String {
        match self {
            Key::Known(i) => KEYS[usize::from(*i) % KEYS.len()].to_owned(),
            Key::Any(s) => s.clone(),
        }
    }
}

impl Tree {
    /// The JSON value.
    pub fn to_json(&self) -> Value {
        match self {
            Tree::Null => Value::Null,
            Tree::Bool(b) => Value::Bool(*b),
            Tree::Int(i) => json!(i),
            Tree::Uint(u) => json!(u),
            Tree::Float(f) => Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Tree::Edge(i) => {
                let f = NUMBERS[usize::from(*i) % NUMBERS.len()];
                match i / 16 {
                    0 => json!(i64::MIN),
                    1 => json!(i64::MAX),
                    2 => json!(u64::MAX),
                    _ => Number::from_f64(f).map_or(Value::Null, Value::Number),
                }
            }
            Tree::Str(s) => Value::String(s.clone()),
            Tree::OddStr(n) => Value::String(format!(
                "\u{1F600}\u{0}e\u{301}\u{FEFF}\u{2028}{}",
                "\\".repeat(usize::from(*n % 8))
            )),
            Tree::Array(items) => Value::Array(items.iter().map(Tree::to_json).collect()),
            Tree::Object(entries) => {
                let mut map = Map::new();
                for (k, v) in entries {
                    map.insert(k.text(), v.to_json());
                }
                Value::Object(map)
            }
            Tree::Deep(depth, objects, inner) => {
                let mut v = inner.to_json();
                for _ in 0..*depth {
                    v = if *objects {
                        json!({ "k": v })
                    } else {
                        json!([v])
                    };
                }
                v
            }
        }
    }
}

/// Whether `got` is `sent` after a round trip through a guest whose numbers
/// are doubles (`lossy_numbers`) or exact.
pub fn same_json(sent: &Value, got: &Value, lossy_numbers: bool) -> bool {
    match (sent, got) {
        (Value::Number(a), Value::Number(b)) => {
            if lossy_numbers {
                a.as_f64() == b.as_f64()
            } else {
                a == b || (a.is_f64() && a.as_f64() == b.as_f64())
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_json(x, y, lossy_numbers))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(k, x)| b.get(k).is_some_and(|y| same_json(x, y, lossy_numbers)))
        }
        _ => sent == got,
    }
}

/// One step of a guest's value-building program: `[op, number, text]`.
#[derive(Debug, Arbitrary)]
pub struct Op {
    /// Index into the guest's list of operations.
    pub op: u8,
    /// A numeric argument.
    pub num: i32,
    /// A text argument.
    pub text: String,
}

/// What a converter target sends: a value to echo, or a program to build.
#[derive(Debug)]
pub enum Case {
    /// `echo`: host JSON in, the same JSON out.
    Echo(Tree),
    /// `build`: guest values out.
    Build(Vec<Op>),
}

impl Case {
    /// Decodes fuzz input: the first byte chooses the case.
    pub fn from_bytes(data: &[u8]) -> Option<Case> {
        let (first, rest) = data.split_first()?;
        let mut u = Unstructured::new(rest);
        if first & 1 == 0 {
            Tree::arbitrary_take_rest(u).ok().map(Case::Echo)
        } else {
            let mut ops = Vec::new();
            while !u.is_empty() && ops.len() < 256 {
                ops.push(Op::arbitrary(&mut u).ok()?);
            }
            Some(Case::Build(ops))
        }
    }
}

/// The `build` parameters for `ops`, with `names` the guest's operations.
pub fn program(ops: &[Op], names: &[&str]) -> Value {
    let ops: Vec<Value> = ops
        .iter()
        .map(|o| json!([names[usize::from(o.op) % names.len()], o.num, o.text]))
        .collect();
    json!({ "ops": ops })
}
