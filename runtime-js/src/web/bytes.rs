//! Bytes between the guest's buffers and the host: reading any
//! `ArrayBuffer`/view the guest hands a native, and making a `Uint8Array`.
//!
//! Natives never trust a view's numbers: the range is checked against the
//! buffer, so a detached or shrunk buffer is a `TypeError`, never a panic.

use boa_engine::object::builtins::{JsArrayBuffer, JsDataView, JsTypedArray, JsUint8Array};
use boa_engine::{Context, JsNativeError, JsObject, JsResult, JsValue};

/// The buffer behind `value` and the byte range it views.
pub(crate) fn view_of(
    value: &JsValue,
    ctx: &mut Context,
) -> JsResult<(JsArrayBuffer, std::ops::Range<usize>)> {
    let not_bytes = || {
        JsNativeError::typ()
            .with_message("expected an ArrayBuffer, a TypedArray or a DataView")
            .into()
    };
    let obj: JsObject = value.as_object().ok_or_else(not_bytes)?;
    if let Ok(buffer) = JsArrayBuffer::from_object(obj.clone()) {
        let len = buffer.byte_length();
        return Ok((buffer, 0..len));
    }
    let (buffer, offset, len) = if let Ok(typed) = JsTypedArray::from_object(obj.clone()) {
        (
            typed.buffer(ctx)?,
            typed.byte_offset(ctx)?,
            typed.byte_length(ctx)?,
        )
    } else if let Ok(view) = JsDataView::from_object(obj) {
        let offset = usize::try_from(view.byte_offset(ctx)?).map_err(|_| not_bytes())?;
        let len = usize::try_from(view.byte_length(ctx)?).map_err(|_| not_bytes())?;
        (view.buffer(ctx)?, offset, len)
    } else {
        return Err(not_bytes());
    };
    let buffer = buffer
        .as_object()
        .and_then(|b| JsArrayBuffer::from_object(b).ok())
        .ok_or_else(not_bytes)?;
    let end = offset.checked_add(len).ok_or_else(not_bytes)?;
    Ok((buffer, offset..end))
}

/// A copy of the bytes `value` views.
///
/// # Errors
/// `TypeError` for anything but a buffer or view, or a detached buffer.
pub(crate) fn read(value: &JsValue, ctx: &mut Context) -> JsResult<Vec<u8>> {
    let (buffer, range) = view_of(value, ctx)?;
    let data = buffer
        .data()
        .ok_or_else(|| JsNativeError::typ().with_message("the ArrayBuffer is detached"))?;
    data.get(range).map(<[u8]>::to_vec).ok_or_else(|| {
        JsNativeError::typ()
            .with_message("the view is out of its buffer's bounds")
            .into()
    })
}

/// A new `Uint8Array` holding `bytes`.
pub(crate) fn uint8_array(bytes: Vec<u8>, ctx: &mut Context) -> JsResult<JsValue> {
    Ok(JsUint8Array::from_iter(bytes, ctx)?.into())
}
