//! `pg_*` functions psql and drivers call that the library lacks or gets wrong for us:
//! visibility of functions and types, sizes (from DLI's `table_size`), view and
//! partition-key definitions, function signatures (no user functions exist), and an
//! `array_to_string` that also accepts the library's text-typed ACL columns.
//!
//! Owns: these UDFs and the per-snapshot lookups they read ([`Lookups`]).

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result;
use datafusion::logical_expr::ScalarUDF;

use super::functions::{ints, texts, u32_of, udf};
use super::model::{RelKind, Snapshot};

/// Facts about relations, by OID.
#[derive(Debug, Default)]
pub struct Lookups {
    pub sizes: HashMap<u32, i64>,
    pub viewdefs: HashMap<u32, String>,
    pub partkeys: HashMap<u32, String>,
}

impl Lookups {
    pub fn of(snap: &Snapshot) -> Lookups {
        let mut l = Lookups::default();
        for rel in &snap.relations {
            let t = snap.table(rel);
            if let Some(size) = t.size {
                l.sizes.insert(rel.oid, size);
            }
            if t.kind == RelKind::View
                && let Some(def) = &t.definition
            {
                l.viewdefs.insert(rel.oid, def.clone());
            }
            let keys: Vec<&str> = t
                .columns
                .iter()
                .filter(|c| c.partition)
                .map(|c| c.name.as_str())
                .collect();
            if !keys.is_empty() {
                l.partkeys
                    .insert(rel.oid, format!("LIST ({})", keys.join(", ")));
            }
        }
        l
    }
}

fn oid_lookup(
    name: &'static str,
    nargs: Option<usize>,
    map: impl Fn(u32) -> Option<String> + Send + Sync + 'static,
) -> ScalarUDF {
    udf(name, nargs, DataType::Utf8, move |args, _| {
        let oids = ints(&args[0])?;
        let out: StringArray = (0..oids.len())
            .map(|i| u32_of(&oids, i).and_then(&map))
            .collect();
        Ok(Arc::new(out))
    })
}

fn always_true(name: &'static str) -> ScalarUDF {
    udf(name, Some(1), DataType::Boolean, |args, _| {
        let out: datafusion::arrow::array::BooleanArray =
            (0..args[0].len()).map(|_| Some(true)).collect();
        Ok(Arc::new(out))
    })
}

/// `pg_size_pretty(bigint)` as Postgres prints it.
pub fn size_pretty(bytes: i64) -> String {
    let units = ["bytes", "kB", "MB", "GB", "TB", "PB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v.abs() >= 10.0 * 1024.0 && unit + 1 < units.len() {
        v /= 1024.0;
        unit += 1;
    }
    format!("{} {}", v.round() as i64, units[unit])
}

/// The UDFs over `lookups`.
pub fn udfs(lookups: &Arc<Lookups>) -> Vec<ScalarUDF> {
    let (l1, l2, l3, l4) = (
        lookups.clone(),
        lookups.clone(),
        lookups.clone(),
        lookups.clone(),
    );
    let size = move |name: &'static str, l: Arc<Lookups>| {
        udf(name, Some(1), DataType::Int64, move |args, _| {
            let oids = ints(&args[0])?;
            let out: Int64Array = (0..oids.len())
                .map(|i| u32_of(&oids, i).map(|o| l.sizes.get(&o).copied().unwrap_or(0)))
                .collect();
            Ok(Arc::new(out))
        })
    };
    vec![
        always_true("pg_function_is_visible"),
        always_true("pg_type_is_visible"),
        always_true("pg_collation_is_visible"),
        udf("json_build_object", None, DataType::Utf8, json_build_object),
        // Settings cannot be changed through a catalog query: answer the value asked for.
        udf("set_config", Some(3), DataType::Utf8, |args, _| {
            Ok(Arc::new(texts(&args[1])?))
        }),
        size("pg_table_size", l1),
        size("pg_relation_size", l2.clone()),
        size("pg_total_relation_size", l2),
        udf("pg_size_pretty", Some(1), DataType::Utf8, |args, _| {
            let n = cast(&args[0], &DataType::Int64)?;
            let n = n.as_primitive::<datafusion::arrow::datatypes::Int64Type>();
            let out: StringArray = (0..n.len())
                .map(|i| (!n.is_null(i)).then(|| size_pretty(n.value(i))))
                .collect();
            Ok(Arc::new(out))
        }),
        oid_lookup("pg_get_viewdef", None, move |o| {
            l3.viewdefs.get(&o).cloned()
        }),
        oid_lookup("pg_get_partkeydef", Some(1), move |o| {
            l4.partkeys.get(&o).cloned()
        }),
        oid_lookup("pg_get_function_result", Some(1), |_| None),
        oid_lookup("pg_get_function_arguments", Some(1), |_| None),
        oid_lookup("pg_get_function_identity_arguments", Some(1), |_| None),
        oid_lookup("pg_get_indexdef", None, |_| None),
        udf(
            "pg_get_serial_sequence",
            Some(2),
            DataType::Utf8,
            |args, _| {
                Ok(datafusion::arrow::array::new_null_array(
                    &DataType::Utf8,
                    args[0].len(),
                ))
            },
        ),
        oid_lookup("pg_get_triggerdef", None, |_| None),
        udf("array_to_string", None, DataType::Utf8, array_to_string),
    ]
}

/// `json_build_object(k1, v1, …)` as JSON text (values rendered as text, NULL as null).
fn json_build_object(args: &[ArrayRef], rows: usize) -> Result<ArrayRef> {
    let cols: Vec<StringArray> = args.iter().map(texts).collect::<Result<_>>()?;
    let n = cols.first().map_or(rows, |c| c.len());
    let out: StringArray = (0..n)
        .map(|i| {
            let mut map = serde_json::Map::new();
            for pair in cols.chunks(2) {
                let (Some(k), v) = (pair.first(), pair.get(1)) else {
                    continue;
                };
                if k.is_null(i) {
                    continue;
                }
                let value = match v {
                    Some(v) if !v.is_null(i) => serde_json::Value::String(v.value(i).to_string()),
                    _ => serde_json::Value::Null,
                };
                map.insert(k.value(i).to_string(), value);
            }
            Some(serde_json::Value::Object(map).to_string())
        })
        .collect();
    Ok(Arc::new(out))
}

/// `array_to_string(array, sep [, null_text])`; a text first argument (the library types
/// ACL and option columns as text) is returned as it is.
fn array_to_string(args: &[ArrayRef], _rows: usize) -> Result<ArrayRef> {
    let sep = match args.get(1) {
        Some(a) => texts(a)?,
        None => StringArray::from(vec![Some(","); args[0].len()]),
    };
    let null_text = match args.get(2) {
        Some(a) => Some(texts(a)?),
        None => None,
    };
    let first = &args[0];
    let out: StringArray = match first.data_type() {
        DataType::List(_) | DataType::LargeList(_) => {
            let list = cast(first, &DataType::new_list(DataType::Utf8, true))?;
            let list = list.as_list::<i32>();
            (0..list.len())
                .map(|i| {
                    if list.is_null(i) {
                        return None;
                    }
                    let items = list.value(i);
                    let items = items.as_string::<i32>();
                    let parts: Vec<String> = (0..items.len())
                        .filter_map(|j| {
                            if items.is_null(j) {
                                null_text
                                    .as_ref()
                                    .filter(|n| !n.is_null(i))
                                    .map(|n| n.value(i).to_string())
                            } else {
                                Some(items.value(j).to_string())
                            }
                        })
                        .collect();
                    let sep = if sep.is_null(i) { "" } else { sep.value(i) };
                    Some(parts.join(sep))
                })
                .collect()
        }
        _ => texts(first)?,
    };
    Ok(Arc::new(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_print_like_postgres() {
        assert_eq!(size_pretty(8192), "8192 bytes");
        assert_eq!(size_pretty(16384), "16 kB");
        assert_eq!(size_pretty(5 * 1024 * 1024), "5120 kB");
        assert_eq!(size_pretty(50 * 1024 * 1024), "50 MB");
    }
}
