//! Functions whose answers depend on the session or on the metadata snapshot:
//! `current_schema()`, `current_schemas(bool)`, `session_user`, `current_database()`,
//! `version()`, `pg_table_is_visible(oid)`, `pg_get_userbyid(oid)`,
//! `obj_description(oid[, catalog])`, `col_description(oid, attnum)`,
//! `shobj_description(oid, catalog)`, `format_type(oid, typmod)` and `current_setting(name)`
//! (the session's values of the one settings table, [`crate::settings`]).
//!
//! Owns: these UDFs, registered per catalog query over the library's defaults. The
//! session's DLI database (`USE db` / `SET search_path`) is its `current_schema()` and,
//! with `pg_catalog`, its search path: `pg_table_is_visible` is true for exactly those
//! relations, so psql's `\dt` lists the current database's tables.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, BooleanArray, Int32Array, ListArray, StringArray, new_null_array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::types::ColType;

type Body = dyn Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync;

/// A UDF defined by a closure over already-materialised arguments.
struct SessionFn {
    name: &'static str,
    signature: Signature,
    ret: DataType,
    body: Arc<Body>,
}

impl fmt::Debug for SessionFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionFn")
            .field("name", &self.name)
            .finish()
    }
}

impl PartialEq for SessionFn {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && Arc::ptr_eq(&self.body, &other.body)
    }
}
impl Eq for SessionFn {}
impl Hash for SessionFn {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for SessionFn {
    fn name(&self) -> &str {
        self.name
    }
    fn signature(&self) -> &Signature {
        &self.signature
    }
    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(self.ret.clone())
    }
    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        Ok(ColumnarValue::Array((self.body)(&arrays, rows)?))
    }
}

pub(super) fn udf(
    name: &'static str,
    nargs: Option<usize>,
    ret: DataType,
    body: impl Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync + 'static,
) -> ScalarUDF {
    let signature = match nargs {
        Some(0) => Signature::nullary(Volatility::Stable),
        Some(n) => Signature::any(n, Volatility::Stable),
        None => Signature::variadic_any(Volatility::Stable),
    };
    ScalarUDF::new_from_impl(SessionFn {
        name,
        signature,
        ret,
        body: Arc::new(body),
    })
}

pub(super) fn ints(a: &ArrayRef) -> Result<Int32Array> {
    let c = cast(a, &DataType::Int32)?;
    Ok(c.as_any()
        .downcast_ref::<Int32Array>()
        .cloned()
        .unwrap_or_else(|| Int32Array::from(vec![None; a.len()])))
}

pub(super) fn texts(a: &ArrayRef) -> Result<StringArray> {
    let c = cast(a, &DataType::Utf8)?;
    Ok(c.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .unwrap_or_else(|| StringArray::from(vec![None::<&str>; a.len()])))
}

pub(super) fn constant(rows: usize, value: &str) -> ArrayRef {
    Arc::new(StringArray::from(vec![value; rows.max(1)]))
}

pub(super) fn u32_of(a: &Int32Array, i: usize) -> Option<u32> {
    (!a.is_null(i))
        .then(|| u32::try_from(a.value(i)).ok())
        .flatten()
}

/// What the session functions answer from.
pub struct SessionFacts {
    pub current_schema: String,
    pub user: String,
    pub database: String,
    pub version: String,
    /// The session's settings, for `current_setting()`.
    pub settings: crate::settings::SessionValues,
    /// Relations in the search path (`pg_catalog` and the current schema).
    pub visible: Arc<HashSet<u32>>,
    /// `(objoid, classoid, objsubid) → description`.
    pub descriptions: Arc<HashMap<(u32, u32, i32), String>>,
    /// `pg_type.oid → typname`, for `format_type` of types outside the type table.
    pub typnames: Arc<HashMap<u32, String>>,
}

/// The UDFs for one catalog query.
pub fn session_udfs(f: &SessionFacts) -> Vec<ScalarUDF> {
    let schema = f.current_schema.clone();
    let schemas_schema = f.current_schema.clone();
    let (user, user2, db, version) = (
        f.user.clone(),
        f.user.clone(),
        f.database.clone(),
        f.version.clone(),
    );
    let visible = f.visible.clone();
    let settings = f.settings.clone();
    let (d1, d2) = (f.descriptions.clone(), f.descriptions.clone());
    let typnames = f.typnames.clone();
    let regtypes: HashMap<String, i32> = f
        .typnames
        .iter()
        .filter_map(|(oid, name)| Some((name.clone(), i32::try_from(*oid).ok()?)))
        .collect();
    let list_type = DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)));
    vec![
        udf("current_schema", Some(0), DataType::Utf8, move |_, n| {
            Ok(constant(n, &schema))
        }),
        udf("current_schemas", Some(1), list_type, move |args, n| {
            let implicit = cast(&args[0], &DataType::Boolean)?;
            let implicit = implicit
                .as_any()
                .downcast_ref::<BooleanArray>()
                .is_some_and(|b| !b.is_empty() && !b.is_null(0) && b.value(0));
            let mut items = Vec::new();
            if implicit {
                items.push(Some("pg_catalog".to_string()));
            }
            items.push(Some(schemas_schema.clone()));
            let list = ListArray::from_iter_primitive_string(n.max(1), &items);
            Ok(list)
        }),
        udf("session_user", Some(0), DataType::Utf8, move |_, n| {
            Ok(constant(n, &user))
        }),
        udf("current_database", Some(0), DataType::Utf8, move |_, n| {
            Ok(constant(n, &db))
        }),
        udf("current_setting", None, DataType::Utf8, move |args, _| {
            let names = texts(&args[0])?;
            let out: StringArray = (0..names.len())
                .map(|i| {
                    (!names.is_null(i))
                        .then(|| crate::settings::value(names.value(i), &settings))
                        .flatten()
                })
                .collect();
            Ok(Arc::new(out))
        }),
        udf("version", Some(0), DataType::Utf8, move |_, n| {
            Ok(constant(n, &version))
        }),
        udf("pg_get_userbyid", Some(1), DataType::Utf8, move |_, n| {
            Ok(constant(n, &user2))
        }),
        udf(
            "pg_table_is_visible",
            Some(1),
            DataType::Boolean,
            move |args, _| {
                let oids = ints(&args[0])?;
                let out: BooleanArray = (0..oids.len())
                    .map(|i| u32_of(&oids, i).map(|o| visible.contains(&o)))
                    .collect();
                Ok(Arc::new(out))
            },
        ),
        udf("obj_description", None, DataType::Utf8, move |args, _| {
            let oids = ints(&args[0])?;
            let class = match args.get(1) {
                Some(a) => Some(texts(a)?),
                None => None,
            };
            let out: StringArray = (0..oids.len())
                .map(|i| {
                    let oid = u32_of(&oids, i)?;
                    let classoid = match class.as_ref().map(|c| c.value(i)) {
                        Some("pg_namespace") => super::oids::PG_NAMESPACE_OID,
                        _ => super::oids::PG_CLASS_OID,
                    };
                    d1.get(&(oid, classoid, 0)).cloned()
                })
                .collect();
            Ok(Arc::new(out))
        }),
        udf(
            "col_description",
            Some(2),
            DataType::Utf8,
            move |args, _| {
                let (oids, nums) = (ints(&args[0])?, ints(&args[1])?);
                let out: StringArray = (0..oids.len())
                    .map(|i| {
                        let oid = u32_of(&oids, i)?;
                        let num = (!nums.is_null(i)).then(|| nums.value(i))?;
                        d2.get(&(oid, super::oids::PG_CLASS_OID, num)).cloned()
                    })
                    .collect();
                Ok(Arc::new(out))
            },
        ),
        udf(
            "shobj_description",
            Some(2),
            DataType::Utf8,
            move |args, _| Ok(new_null_array(&DataType::Utf8, args[0].len())),
        ),
        // `to_regtype('name')`: the type's OID, or NULL when there is none (psycopg 3
        // asks for it at connect, e.g. for hstore). `int4[]` is `_int4`.
        udf("to_regtype", Some(1), DataType::Int32, move |args, _| {
            let names = texts(&args[0])?;
            let out: Int32Array = (0..names.len())
                .map(|i| {
                    if names.is_null(i) {
                        return None;
                    }
                    let raw = names.value(i).trim().trim_matches('"').to_ascii_lowercase();
                    let raw = raw.strip_prefix("pg_catalog.").unwrap_or(&raw).to_string();
                    let key = match raw.strip_suffix("[]") {
                        Some(elem) => format!("_{elem}"),
                        None => raw,
                    };
                    regtypes.get(&key).copied()
                })
                .collect();
            Ok(Arc::new(out))
        }),
        udf("format_type", Some(2), DataType::Utf8, move |args, _| {
            let (oids, mods) = (ints(&args[0])?, ints(&args[1])?);
            let out: StringArray = (0..oids.len())
                .map(|i| {
                    let oid = u32_of(&oids, i)?;
                    let typmod = if mods.is_null(i) { -1 } else { mods.value(i) };
                    Some(format_type(oid, typmod, &typnames))
                })
                .collect();
            Ok(Arc::new(out))
        }),
    ]
}

/// `format_type(oid, typmod)`: the type table's spelling where it knows the type,
/// else the `pg_type` name.
pub fn format_type(oid: u32, typmod: i32, typnames: &HashMap<u32, String>) -> String {
    if let Some(pg) = pgwire::api::Type::from_oid(oid)
        && (crate::pgtypes::pg_entry(&pg).is_some()
            || crate::pgtypes::pg_element_entry(&pg).is_some())
    {
        return ColType {
            pg,
            len: -1,
            typmod,
        }
        .format_type();
    }
    match typnames.get(&oid) {
        Some(name) if name.starts_with('_') => format!("{}[]", &name[1..]),
        Some(name) => name.clone(),
        None => "???".into(),
    }
}

/// Builds single-row string lists repeated `rows` times.
trait StringLists {
    fn from_iter_primitive_string(rows: usize, items: &[Option<String>]) -> ArrayRef;
}

impl StringLists for ListArray {
    fn from_iter_primitive_string(rows: usize, items: &[Option<String>]) -> ArrayRef {
        use datafusion::arrow::array::{ListBuilder, StringBuilder};
        let mut b = ListBuilder::new(StringBuilder::new());
        for _ in 0..rows {
            for i in items {
                b.values().append_option(i.as_deref());
            }
            b.append(true);
        }
        Arc::new(b.finish())
    }
}
