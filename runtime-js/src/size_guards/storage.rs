//! Reading guest data for an estimate without running guest code: a
//! property from an object's storage (own, then its prototypes', never a
//! getter or a proxy trap), an array-like's `length`, the elements an
//! object stores. An object the engine is modifying (borrowed) reads as
//! unknown, never a panic.

use boa_engine::builtins::proxy::Proxy;
use boa_engine::property::PropertyKey;
use boa_engine::{JsObject, JsValue, js_string};

/// Prototype hops a storage read follows.
pub(super) const MAX_HOPS: usize = 16;

/// What a storage read of a property found.
pub(super) enum Lookup {
    /// No such property on the object or its prototypes.
    Missing,
    /// A data property with this value.
    Data(JsValue),
    /// An accessor, a proxy on the way, or too many hops: not readable
    /// without running guest code.
    Opaque,
}

/// Reads `key` from `obj` and its prototypes, from storage.
pub(super) fn lookup(obj: &JsObject, key: &PropertyKey) -> Lookup {
    let mut current = Some(obj.clone());
    for _ in 0..MAX_HOPS {
        let Some(o) = current else {
            return Lookup::Missing;
        };
        if o.is::<Proxy>() {
            return Lookup::Opaque;
        }
        let Ok(borrowed) = o.try_borrow() else {
            return Lookup::Opaque;
        };
        let found = borrowed.properties().get(key);
        drop(borrowed);
        if let Some(desc) = found {
            return match desc.value() {
                Some(v) if desc.is_data_descriptor() => Lookup::Data(v.clone()),
                _ => Lookup::Opaque,
            };
        }
        current = o.prototype();
    }
    Lookup::Opaque
}

/// `LengthOfArrayLike(obj)` when `length` is a number read from storage.
pub(super) fn data_length(obj: &JsObject) -> Option<u64> {
    match lookup(obj, &js_string!("length").into()) {
        Lookup::Data(v) => {
            let n = v.as_number()?;
            Some(if n.is_nan() || n <= 0.0 {
                0
            } else {
                n.min(9_007_199_254_740_991.0) as u64
            })
        }
        Lookup::Missing => Some(0),
        Lookup::Opaque => None,
    }
}

/// An array-like object whose `length` reads from storage.
pub(super) struct ArrayLike {
    /// The object.
    pub(super) obj: JsObject,
    /// Its `LengthOfArrayLike`.
    pub(super) length: u64,
}

impl ArrayLike {
    /// `this` as an array-like object, when it is an object whose `length`
    /// reads from storage.
    pub(super) fn of(this: &JsValue) -> Option<ArrayLike> {
        let obj = this.as_object()?;
        let length = data_length(&obj)?;
        Some(ArrayLike { obj, length })
    }
}

/// Elements `obj` stores (holes not counted).
pub(super) fn stored(obj: &JsObject) -> u64 {
    obj.try_borrow()
        .map_or(0, |o| o.properties().index_property_values().len() as u64)
}

/// Calls `f` on each element value `obj` stores, in no particular order,
/// until it returns `false`.
pub(super) fn each_stored(obj: &JsObject, mut f: impl FnMut(&JsValue) -> bool) {
    let Ok(o) = obj.try_borrow() else {
        return;
    };
    for desc in o.properties().index_property_values() {
        if let Some(v) = desc.value()
            && !f(v)
        {
            break;
        }
    }
}
