//! Typed reads of hydrated automerge values: a serde deserializer over `hydrate::Value`, so
//! `WorkOrderDoc::record` builds its structs without converting each hydrated tree to JSON first
//! (that round trip, and hydrating every list item on its own, were most of a sync's per-order
//! cost). It accepts and refuses exactly what the JSON view (`json::from_hydrate` then
//! `serde_json::from_value`) does: the same numbers, `null`s, strings and enum shapes, and an
//! error for the value types the schema never writes (counters, bytes, non-finite floats).

use super::DocumentError;
use automerge::iter::{DocItem, Span};
use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, ScalarValueRef, ValueRef};
use foldhash::{HashMap, HashMapExt};
use serde::de::value::StrDeserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Visitor};
use std::borrow::Cow;
use std::fmt;

/// Reads the value at `key` of the map `obj` as a `T`; `path` names it in errors. Reads only
/// that value's objects, not the whole document.
pub(super) fn typed_at<T: DeserializeOwned>(
    doc: &Automerge,
    obj: &ObjId,
    key: &str,
    path: &str,
) -> Result<T, DocumentError> {
    let (tree, value) = match doc.get(obj, key)? {
        Some((automerge::Value::Object(kind), id)) => {
            (Tree::of_object(doc, &id, kind)?, Val::Object(slot(&id)))
        }
        Some((automerge::Value::Scalar(s), _)) => (Tree::default(), Val::Owned(s.into_owned())),
        None => return Err(DocumentError::schema(path, "missing")),
    };
    T::deserialize(TreeReader {
        tree: &tree,
        value: &value,
    })
    .map_err(|e| DocumentError::schema(path, e.0))
}

/// Where an object lives in a [`Tree`]: the id of the operation that made it (counter, actor
/// index), or the root.
type Slot = (u64, usize);

/// The slot of the root map.
pub(super) const ROOT_SLOT: Slot = (0, usize::MAX);

fn slot(id: &ObjId) -> Slot {
    match id {
        ObjId::Root => ROOT_SLOT,
        ObjId::Id(counter, _, actor) => (*counter, *actor),
    }
}

/// A value in a [`Tree`]: a scalar borrowed from the document, or an object.
enum Val<'d> {
    Scalar(ScalarValueRef<'d>),
    Owned(ScalarValue),
    Object(Slot),
}

/// An object in a [`Tree`].
enum Obj<'d> {
    Map(Vec<(Cow<'d, str>, Val<'d>)>),
    List(Vec<(ObjId, Val<'d>)>),
    Text(String),
}

impl Obj<'_> {
    fn empty(kind: ObjType) -> Self {
        match kind {
            ObjType::Map | ObjType::Table => Obj::Map(Vec::new()),
            ObjType::List => Obj::List(Vec::new()),
            ObjType::Text => Obj::Text(String::new()),
        }
    }
}

/// Every visible value of a document, read in one pass over its operations (`ReadDoc::iter`
/// walks the objects in storage order; hydrating object by object seeks for each one, which was
/// most of the cost of reading an order).
#[derive(Default)]
pub(super) struct Tree<'d> {
    objects: HashMap<Slot, Obj<'d>>,
}

impl<'d> Tree<'d> {
    /// Reads the whole document.
    pub(super) fn of(doc: &'d Automerge) -> Result<Self, DocumentError> {
        Self::of_object(doc, &ObjId::Root, ObjType::Map)
    }

    /// Reads the object `id` (of type `kind`) and everything in it.
    fn of_object(doc: &'d Automerge, id: &ObjId, kind: ObjType) -> Result<Self, DocumentError> {
        let mut objects = HashMap::new();
        objects.insert(slot(id), Obj::empty(kind));
        for item in doc.iter_at(id, None) {
            let parent = slot(&item.obj);
            let mut value = |value: ValueRef<'d>, id: &dyn Fn() -> ObjId| match value {
                ValueRef::Object(kind) => {
                    let child = slot(&id());
                    objects.entry(child).or_insert_with(|| Obj::empty(kind));
                    Val::Object(child)
                }
                ValueRef::Scalar(scalar) => Val::Scalar(scalar),
            };
            let broken = || DocumentError::schema("$", "an object's items disagree with its type");
            match item.item {
                DocItem::Map(entry) => {
                    let val = value(entry.value.clone(), &|| entry.id());
                    match objects.get_mut(&parent) {
                        Some(Obj::Map(items)) => items.push((entry.key, val)),
                        _ => return Err(broken()),
                    }
                }
                DocItem::List(entry) => {
                    let id = entry.id();
                    let val = value(entry.value, &|| id.clone());
                    match objects.get_mut(&parent) {
                        Some(Obj::List(items)) => items.push((id, val)),
                        _ => return Err(broken()),
                    }
                }
                DocItem::Text(span) => match (objects.get_mut(&parent), span) {
                    (Some(Obj::Text(text)), Span::Text { text: part, .. }) => text.push_str(&part),
                    _ => return Err(broken()),
                },
            }
        }
        Ok(Tree { objects })
    }

    fn get(&self, obj: Slot, key: &str) -> Option<&Val<'d>> {
        match self.objects.get(&obj) {
            Some(Obj::Map(items)) => items.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The object at `key` of the map `obj`.
    pub(super) fn child(&self, obj: Slot, key: &str, path: &str) -> Result<Slot, DocumentError> {
        match self.get(obj, key) {
            Some(Val::Object(child)) => Ok(*child),
            Some(Val::Scalar(_) | Val::Owned(_)) => Err(DocumentError::schema(
                path,
                format!("`{key}` is not an object"),
            )),
            None => Err(DocumentError::schema(path, format!("`{key}` is missing"))),
        }
    }

    /// The value at `key` of the map `obj`, as a `T`.
    pub(super) fn typed_at<T: DeserializeOwned>(
        &self,
        obj: Slot,
        key: &str,
        path: &str,
    ) -> Result<T, DocumentError> {
        let value = self
            .get(obj, key)
            .ok_or_else(|| DocumentError::schema(path, "missing"))?;
        T::deserialize(TreeReader { tree: self, value })
            .map_err(|e| DocumentError::schema(path, e.0))
    }

    /// Whether `obj` is a list.
    pub(super) fn is_list(&self, obj: Slot) -> bool {
        matches!(self.objects.get(&obj), Some(Obj::List(_)))
    }

    /// The items of the list `list` whose making operation `wanted` accepts, each with its
    /// index in the list and that operation's id, read as a `T` (`path` names the list in
    /// errors). Reads nothing else: a shared tree costs each caller only the items it wants.
    /// Anything but a list has no items.
    pub(super) fn typed_items_where<T: DeserializeOwned>(
        &self,
        list: Slot,
        path: &str,
        mut wanted: impl FnMut(&ObjId) -> bool,
    ) -> Result<Vec<(usize, ObjId, T)>, DocumentError> {
        let Some(Obj::List(items)) = self.objects.get(&list) else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for (index, (id, value)) in items.iter().enumerate() {
            if !wanted(id) {
                continue;
            }
            let typed = T::deserialize(TreeReader { tree: self, value })
                .map_err(|e| DocumentError::schema(&format!("{path}[{index}]"), e.0))?;
            out.push((index, id.clone(), typed));
        }
        Ok(out)
    }

    /// Every item of the list `list` as a `T`, with the id of the operation that made it.
    pub(super) fn typed_items<T: DeserializeOwned>(
        &self,
        list: Slot,
        path: &str,
    ) -> Result<Vec<(ObjId, T)>, DocumentError> {
        let Some(Obj::List(items)) = self.objects.get(&list) else {
            return Err(DocumentError::schema(path, "not a list"));
        };
        items
            .iter()
            .enumerate()
            .map(|(index, (id, value))| {
                let typed = T::deserialize(TreeReader { tree: self, value })
                    .map_err(|e| DocumentError::schema(&format!("{path}[{index}]"), e.0))?;
                Ok((id.clone(), typed))
            })
            .collect()
    }
}

/// Why a value did not read as its type.
#[derive(Debug)]
pub(super) struct ReadError(String);

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ReadError {}

impl de::Error for ReadError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        ReadError(msg.to_string())
    }
}

/// A scalar as the JSON view sees it.
enum Plain<'d> {
    Null,
    Bool(bool),
    Int(i64),
    Uint(u64),
    Float(f64),
    Str(&'d str),
}

impl<'d> Plain<'d> {
    fn of(scalar: &'d ScalarValue) -> Result<Self, ReadError> {
        Ok(match scalar {
            ScalarValue::Null => Plain::Null,
            ScalarValue::Boolean(b) => Plain::Bool(*b),
            ScalarValue::Int(i) | ScalarValue::Timestamp(i) => Plain::Int(*i),
            ScalarValue::Uint(u) => Plain::Uint(*u),
            ScalarValue::F64(f) => Plain::Float(*f),
            ScalarValue::Str(s) => Plain::Str(s),
            ScalarValue::Counter(_) | ScalarValue::Bytes(_) | ScalarValue::Unknown { .. } => {
                return Err(never_written());
            }
        })
    }

    fn of_ref(scalar: &'d ScalarValueRef<'_>) -> Result<Self, ReadError> {
        Ok(match scalar {
            ScalarValueRef::Null => Plain::Null,
            ScalarValueRef::Boolean(b) => Plain::Bool(*b),
            ScalarValueRef::Int(i) | ScalarValueRef::Timestamp(i) => Plain::Int(*i),
            ScalarValueRef::Uint(u) => Plain::Uint(*u),
            ScalarValueRef::F64(f) => Plain::Float(*f),
            ScalarValueRef::Str(s) => Plain::Str(s),
            ScalarValueRef::Counter(_)
            | ScalarValueRef::Bytes(_)
            | ScalarValueRef::Unknown { .. } => return Err(never_written()),
        })
    }

    /// Hands the scalar to `visitor` the way `serde_json::Value` would.
    fn visit<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self {
            Plain::Null => visitor.visit_unit(),
            Plain::Bool(b) => visitor.visit_bool(b),
            // serde_json keeps a non-negative integer as an unsigned one.
            Plain::Int(i) => match u64::try_from(i) {
                Ok(u) => visitor.visit_u64(u),
                Err(_) => visitor.visit_i64(i),
            },
            Plain::Uint(u) => visitor.visit_u64(u),
            Plain::Float(f) if f.is_finite() => visitor.visit_f64(f),
            Plain::Float(_) => Err(ReadError("a number that is not finite".into())),
            Plain::Str(s) => visitor.visit_str(s),
        }
    }
}

fn never_written() -> ReadError {
    ReadError("a value of a type the schema never writes".into())
}

/// Deserializes one value of a [`Tree`].
struct TreeReader<'t, 'd> {
    tree: &'t Tree<'d>,
    value: &'t Val<'d>,
}

impl<'t, 'd> TreeReader<'t, 'd> {
    fn object(&self) -> Result<Option<&'t Obj<'d>>, ReadError> {
        match self.value {
            Val::Scalar(_) | Val::Owned(_) => Ok(None),
            Val::Object(slot) => self
                .tree
                .objects
                .get(slot)
                .map(Some)
                .ok_or_else(|| ReadError("an object the document does not hold".into())),
        }
    }
}

impl<'de> de::Deserializer<'de> for TreeReader<'_, '_> {
    type Error = ReadError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.value {
            Val::Scalar(scalar) => return Plain::of_ref(scalar)?.visit(visitor),
            Val::Owned(scalar) => return Plain::of(scalar)?.visit(visitor),
            Val::Object(_) => {}
        }
        let tree = self.tree;
        match self.object()? {
            Some(Obj::Map(items)) => visitor.visit_map(TreeMap {
                tree,
                items: items.iter(),
                value: None,
            }),
            Some(Obj::List(items)) => visitor.visit_seq(TreeSeq {
                tree,
                items: items.iter(),
            }),
            Some(Obj::Text(text)) => visitor.visit_str(text),
            None => Err(ReadError("a scalar where an object was expected".into())),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        match self.value {
            Val::Scalar(ScalarValueRef::Null) | Val::Owned(ScalarValue::Null) => {
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        // A unit variant is its name.
        match self.value {
            Val::Scalar(ScalarValueRef::Str(s)) => {
                return visitor.visit_enum(StrDeserializer::<ReadError>::new(s));
            }
            Val::Owned(ScalarValue::Str(s)) => {
                return visitor.visit_enum(StrDeserializer::<ReadError>::new(s));
            }
            _ => {}
        }
        let tree = self.tree;
        match self.object()? {
            // Any other variant is a map with the variant's name as its one key.
            Some(Obj::Map(items)) => {
                let [(variant, value)] = items.as_slice() else {
                    return Err(ReadError(
                        "map with a single key: an enum variant".to_string(),
                    ));
                };
                visitor.visit_enum(TreeEnum {
                    variant,
                    value: TreeReader { tree, value },
                })
            }
            _ => Err(ReadError(
                "expected a string or map: an enum variant".into(),
            )),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ReadError> {
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map struct identifier
    }
}

/// A [`Tree`] map's entries.
struct TreeMap<'t, 'd> {
    tree: &'t Tree<'d>,
    items: std::slice::Iter<'t, (Cow<'d, str>, Val<'d>)>,
    value: Option<&'t Val<'d>>,
}

impl<'de> de::MapAccess<'de> for TreeMap<'_, '_> {
    type Error = ReadError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ReadError> {
        let Some((key, value)) = self.items.next() else {
            return Ok(None);
        };
        self.value = Some(value);
        seed.deserialize(StrDeserializer::<ReadError>::new(key))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, ReadError> {
        let value = self
            .value
            .take()
            .ok_or_else(|| ReadError("a map value without its key".into()))?;
        seed.deserialize(TreeReader {
            tree: self.tree,
            value,
        })
    }
}

/// A [`Tree`] list's items, in order.
struct TreeSeq<'t, 'd> {
    tree: &'t Tree<'d>,
    items: std::slice::Iter<'t, (ObjId, Val<'d>)>,
}

impl<'de> de::SeqAccess<'de> for TreeSeq<'_, '_> {
    type Error = ReadError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ReadError> {
        let Some((_, value)) = self.items.next() else {
            return Ok(None);
        };
        seed.deserialize(TreeReader {
            tree: self.tree,
            value,
        })
        .map(Some)
    }
}

/// An enum variant written as a one-key map, in a [`Tree`].
struct TreeEnum<'t, 'd> {
    variant: &'t str,
    value: TreeReader<'t, 'd>,
}

impl<'de, 't, 'd> de::EnumAccess<'de> for TreeEnum<'t, 'd> {
    type Error = ReadError;
    type Variant = TreeReader<'t, 'd>;

    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, TreeReader<'t, 'd>), ReadError> {
        let variant = seed.deserialize(StrDeserializer::<ReadError>::new(self.variant))?;
        Ok((variant, self.value))
    }
}

impl<'de> de::VariantAccess<'de> for TreeReader<'_, '_> {
    type Error = ReadError;

    fn unit_variant(self) -> Result<(), ReadError> {
        de::Deserialize::deserialize(self)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, ReadError> {
        seed.deserialize(self)
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        de::Deserializer::deserialize_seq(self, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ReadError> {
        de::Deserializer::deserialize_map(self, visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::json;
    use automerge::transaction::Transactable;
    use serde::Deserialize;
    use serde_json::json;

    /// A document whose root holds `value` under "v", written the way the schema writes.
    fn doc_with(value: &serde_json::Value) -> Automerge {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.batch_create_object(&ObjId::Root, "v", &json::to_hydrate(value), false)
            .expect("write");
        tx.commit();
        doc
    }

    /// What the JSON view reads at "v".
    fn json_view(doc: &Automerge) -> serde_json::Value {
        let root = json::from_hydrate(
            &ReadDoc::hydrate(doc, ObjId::Root, None).expect("hydrate"),
            "$",
        )
        .expect("json");
        root["v"].clone()
    }

    #[test]
    fn tree_reads_the_same_values_as_the_json_view() {
        let value = json!({
            "a": 1, "b": -2, "c": 1.5, "d": "x", "e": null, "f": [true, {"g": 100.0}],
            "h": {"i": [], "j": {}}, "k": [[1, 2], ["three"]], "u": 18_446_744_073_709_551_615u64
        });
        let doc = doc_with(&value);
        let tree = Tree::of(&doc).expect("tree");
        let read: serde_json::Value = tree.typed_at(ROOT_SLOT, "v", "$.v").expect("typed");
        assert_eq!(read, json_view(&doc));
        assert_eq!(read, value);
        let alone: serde_json::Value = typed_at(&doc, &ObjId::Root, "v", "$.v").expect("typed");
        assert_eq!(alone, value);
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Plain,
        Wrapped(u32),
    }

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "action", rename_all = "snake_case")]
    enum Tagged {
        Note { text: String, code: Option<String> },
        Stop,
    }

    #[derive(Debug, PartialEq, Deserialize)]
    struct Typed {
        small: u32,
        float_from_int: f64,
        missing: Option<String>,
        null: Option<i64>,
        kinds: Vec<Kind>,
        tagged: Vec<Tagged>,
    }

    #[test]
    fn typed_reads_agree_with_serde_json_on_options_enums_and_numbers() {
        let value = json!({
            "small": 7, "float_from_int": 3, "null": null, "extra": {"ignored": [1]},
            "kinds": ["plain", {"wrapped": 4}],
            "tagged": [{"action": "note", "text": "t"}, {"action": "stop"}]
        });
        let doc = doc_with(&value);
        let tree = Tree::of(&doc).expect("tree");
        let read: Typed = tree.typed_at(ROOT_SLOT, "v", "$.v").expect("typed");
        let expected: Typed = serde_json::from_value(json_view(&doc)).expect("serde_json");
        assert_eq!(read, expected);
        assert_eq!(read.float_from_int, 3.0);
        assert_eq!(read.kinds, vec![Kind::Plain, Kind::Wrapped(4)]);
    }

    #[test]
    fn values_the_json_view_refuses_are_refused() {
        for value in [
            json!({"small": -1, "float_from_int": 1, "kinds": [], "tagged": []}),
            json!({"small": 1, "float_from_int": "x", "kinds": [], "tagged": []}),
            json!({"small": 1, "float_from_int": 1, "kinds": ["unknown"], "tagged": []}),
            json!({"small": 1, "float_from_int": 1, "kinds": [], "tagged": [{"text": "t"}]}),
        ] {
            let doc = doc_with(&value);
            let tree = Tree::of(&doc).expect("tree");
            let read = tree.typed_at::<Typed>(ROOT_SLOT, "v", "$.v");
            assert!(serde_json::from_value::<Typed>(json_view(&doc)).is_err());
            let Err(DocumentError::Schema { path, .. }) = read else {
                panic!("{value} was read: {read:?}");
            };
            assert_eq!(path, "$.v");
        }
        // Value types the schema never writes.
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ObjId::Root, "counter", automerge::ScalarValue::counter(1))
            .expect("put");
        tx.put(ObjId::Root, "nan", f64::NAN).expect("put");
        tx.commit();
        let tree = Tree::of(&doc).expect("tree");
        assert!(tree.typed_at::<i64>(ROOT_SLOT, "counter", "$").is_err());
        assert!(tree.typed_at::<f64>(ROOT_SLOT, "nan", "$").is_err());
    }

    #[test]
    fn conflicts_and_deletions_read_like_the_json_view() {
        let mut a = doc_with(&json!({"k": "a", "gone": 1, "list": [1, 2, 3]}))
            .with_actor(automerge::ActorId::from([1u8; 16]));
        let mut b = a.fork().with_actor(automerge::ActorId::from([2u8; 16]));
        let (_, v) = a.get(ObjId::Root, "v").expect("get").expect("v");
        let (_, list) = a.get(&v, "list").expect("get").expect("list");
        let mut tx = a.transaction();
        tx.put(&v, "k", "from a").expect("put");
        tx.delete(&v, "gone").expect("delete");
        tx.delete(&list, 1).expect("delete");
        tx.commit();
        let mut tx = b.transaction();
        tx.put(&v, "k", "from b").expect("put");
        tx.insert(&list, 1, 9).expect("insert");
        tx.put_object(&v, "new", ObjType::Map).expect("object");
        tx.commit();
        a.merge(&mut b).expect("merge");
        let tree = Tree::of(&a).expect("tree");
        let read: serde_json::Value = tree.typed_at(ROOT_SLOT, "v", "$.v").expect("typed");
        assert_eq!(read, json_view(&a));
        assert!(read.get("gone").is_none());
        assert_eq!(read["new"], json!({}));
    }

    #[test]
    fn list_items_come_with_the_ids_of_the_operations_that_made_them() {
        let doc = doc_with(&json!([{"n": 1}, {"n": 2}]));
        let tree = Tree::of(&doc).expect("tree");
        let list = tree.child(ROOT_SLOT, "v", "$.v").expect("list");
        let items: Vec<(ObjId, serde_json::Value)> = tree.typed_items(list, "$.v").expect("items");
        let (_, list_id) = doc.get(ObjId::Root, "v").expect("get").expect("list");
        let ids: Vec<ObjId> = doc.list_range(&list_id, ..).map(|i| i.id()).collect();
        assert_eq!(
            items.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>(),
            ids
        );
        assert_eq!(items[1].1, json!({"n": 2}));
        assert!(tree.child(ROOT_SLOT, "missing", "$").is_err());
    }
}
