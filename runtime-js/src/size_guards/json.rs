//! The size estimate of `JSON.stringify`: the text, counted from the
//! values stored in the graph.

use std::collections::{HashMap, HashSet};
use std::mem::size_of;

use boa_engine::builtins::proxy::Proxy;
use boa_engine::object::builtins::JsTypedArray;
use boa_engine::property::PropertyKey;
use boa_engine::value::JsVariant;
use boa_engine::{Context, JsObject, JsString, JsValue, js_string};

use super::storage::{Lookup, data_length, each_stored, lookup, stored};
use super::{MAX_ESTIMATE_STEPS, Planned, arg};
use crate::call_state::Shared;

/// `JSON.stringify(value)` without a replacer: the text, counted from the
/// values stored in the graph (a shared object counts once per reference;
/// `toJSON`, getters and proxies count nothing), built twice over (each
/// level's parts, then the whole) at two bytes a unit, plus the list Boa
/// reserves per array index.
pub(super) fn stringify(
    this: &JsValue,
    args: &[JsValue],
    shared: &Shared,
    ctx: &mut Context,
) -> Option<Planned> {
    if !arg(args, 1).is_null_or_undefined() {
        return None;
    }
    let value = arg(args, 0);
    let (units, lists) = json_units(&value, shared.max_memory(), ctx);
    Some(Planned::same(
        this,
        args,
        units.saturating_mul(4).saturating_add(lists),
    ))
}

/// Units of a primitive as JSON text (at least).
pub(super) fn primitive_units(v: &JsValue) -> u64 {
    match v.variant() {
        JsVariant::String(s) => (s.len() as u64).saturating_add(2),
        JsVariant::Null => 4,
        JsVariant::Boolean(b) => {
            if b {
                4
            } else {
                5
            }
        }
        JsVariant::Integer32(_) | JsVariant::Float64(_) => 1,
        _ => 0,
    }
}

/// One object of the graph, as the estimate reads it.
pub(super) struct Node {
    /// Units of its own text (brackets, keys, primitive values).
    own: u64,
    /// Bytes of the list Boa reserves for it (arrays: one per index).
    list: u64,
    /// The objects it holds, once per reference.
    children: Vec<JsObject>,
}

/// Objects with more stored elements than this are estimated from their
/// elements alone (listing their keys would allocate per element).
pub(super) const MAX_KEYED_ELEMENTS: u64 = 4096;

/// Reads `obj`'s stringified shape from storage, or `None` for an object
/// whose text the estimate cannot know (a proxy, a `toJSON`).
pub(super) fn node(obj: &JsObject, ctx: &mut Context) -> Option<Node> {
    if obj.is::<Proxy>() {
        return None;
    }
    if !matches!(lookup(obj, &js_string!("toJSON").into()), Lookup::Missing) {
        return None;
    }
    let mut node = Node {
        own: 2,
        list: 0,
        children: Vec::new(),
    };
    let add = |node: &mut Node, v: &JsValue| match v.as_object() {
        Some(child) if !child.is_callable() => node.children.push(child),
        Some(_) => {}
        None => node.own = node.own.saturating_add(primitive_units(v)),
    };
    if let Ok(typed) = JsTypedArray::from_object(obj.clone()) {
        // `{"0":0,...}`: six units an element at least.
        let length = typed.length(ctx).unwrap_or(0) as u64;
        node.own = node.own.saturating_add(length.saturating_mul(6));
        return Some(node);
    }
    if obj.is_array() {
        let length = data_length(obj).unwrap_or(0);
        let present = stored(obj);
        node.list = length.saturating_mul(size_of::<JsString>() as u64);
        // Commas, and `null` for every hole.
        node.own = node
            .own
            .saturating_add(length.saturating_sub(1))
            .saturating_add(length.saturating_sub(present).saturating_mul(4));
        each_stored(obj, |v| {
            add(&mut node, v);
            true
        });
        return Some(node);
    }
    let elements = stored(obj);
    {
        let o = obj.try_borrow().ok()?;
        for (index, desc) in o.properties().index_properties() {
            if let Some(v) = desc.value() {
                let digits = u64::from(index).checked_ilog10().unwrap_or(0) as u64 + 1;
                node.own = node.own.saturating_add(digits + 4);
                add(&mut node, v);
            }
        }
    }
    if elements > MAX_KEYED_ELEMENTS {
        return Some(node);
    }
    let keys = obj.own_property_keys(ctx).ok()?;
    let o = obj.try_borrow().ok()?;
    let props = o.properties();
    for key in &keys {
        let PropertyKey::String(name) = key else {
            continue;
        };
        let Some(desc) = props.get(key) else {
            continue;
        };
        if desc.enumerable() != Some(true) {
            continue;
        }
        let Some(v) = desc.value() else {
            continue;
        };
        if v.is_undefined() || v.as_symbol().is_some() {
            continue;
        }
        node.own = node.own.saturating_add(name.len() as u64 + 4);
        add(&mut node, v);
    }
    Some(node)
}

/// `(text units, list bytes)` of `value` stringified, stopping early past
/// `stop` units or [`MAX_ESTIMATE_STEPS`] objects.
pub(super) fn json_units(value: &JsValue, stop: u64, ctx: &mut Context) -> (u64, u64) {
    let Some(root) = value.as_object() else {
        return (primitive_units(value), 0);
    };
    // Post-order over the graph: each object is read once and its size
    // remembered, so a shared object costs one read and counts per use.
    enum Step {
        Enter(JsObject),
        Exit(JsObject, Node),
    }
    let mut sizes: HashMap<JsObject, (u64, u64)> = HashMap::new();
    let mut open: HashSet<JsObject> = HashSet::new();
    let mut stack = vec![Step::Enter(root.clone())];
    let mut steps = 0u64;
    while let Some(step) = stack.pop() {
        match step {
            Step::Enter(obj) => {
                if sizes.contains_key(&obj) || open.contains(&obj) {
                    continue;
                }
                steps += 1;
                if steps > MAX_ESTIMATE_STEPS {
                    break;
                }
                let Some(n) = node(&obj, ctx) else {
                    sizes.insert(obj, (0, 0));
                    continue;
                };
                open.insert(obj.clone());
                let pending: Vec<JsObject> = n
                    .children
                    .iter()
                    .filter(|c| !sizes.contains_key(*c))
                    .cloned()
                    .collect();
                stack.push(Step::Exit(obj, n));
                stack.extend(pending.into_iter().map(Step::Enter));
            }
            Step::Exit(obj, n) => {
                let mut units = n.own;
                let mut lists = n.list;
                for c in &n.children {
                    // A cycle (open) counts nothing: stringify throws.
                    let (u, l) = sizes.get(c).copied().unwrap_or((0, 0));
                    units = units.saturating_add(u);
                    lists = lists.saturating_add(l);
                }
                open.remove(&obj);
                sizes.insert(obj, (units, lists));
                if units > stop {
                    return (units, lists);
                }
            }
        }
    }
    sizes.get(&root).copied().unwrap_or((0, 0))
}
