//! Building Arrow record batches for catalog relations row by row, by column name.
//!
//! Owns: [`TableBuilder`], which fills a batch of a given schema (usually the schema
//! `datafusion-pg-catalog` defines for that relation, so joins and UDFs of the library
//! keep working) from rows that set only the columns they know; every other column gets
//! its type's default (NULL when nullable, else 0 / false / ''). Must not know which
//! relation it builds.

use std::collections::HashMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Float32Builder, Float64Builder, Int16Builder, Int32Builder,
    Int64Builder, ListBuilder, StringBuilder, new_null_array,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::catalog::MemTable;
use datafusion::error::{DataFusionError, Result};

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    /// The column type's default.
    Default,
    Null,
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    StrList(Vec<String>),
    IntList(Vec<i64>),
}

impl From<&str> for V {
    fn from(s: &str) -> V {
        V::Str(s.to_string())
    }
}
impl From<String> for V {
    fn from(s: String) -> V {
        V::Str(s)
    }
}
impl From<Option<String>> for V {
    fn from(s: Option<String>) -> V {
        s.map_or(V::Null, V::Str)
    }
}
impl From<bool> for V {
    fn from(b: bool) -> V {
        V::Bool(b)
    }
}
impl From<u32> for V {
    fn from(n: u32) -> V {
        V::Int(i64::from(n))
    }
}
impl From<i32> for V {
    fn from(n: i32) -> V {
        V::Int(i64::from(n))
    }
}
impl From<i16> for V {
    fn from(n: i16) -> V {
        V::Int(i64::from(n))
    }
}
impl From<usize> for V {
    fn from(n: usize) -> V {
        V::Int(i64::try_from(n).unwrap_or(i64::MAX))
    }
}
impl From<f64> for V {
    fn from(n: f64) -> V {
        V::Float(n)
    }
}

/// Collects rows for one schema.
pub struct TableBuilder {
    schema: SchemaRef,
    index: HashMap<String, usize>,
    cols: Vec<Vec<V>>,
}

impl TableBuilder {
    pub fn new(schema: SchemaRef) -> Self {
        let index = schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name().clone(), i))
            .collect();
        let cols = vec![Vec::new(); schema.fields().len()];
        Self {
            schema,
            index,
            cols,
        }
    }

    /// Add a row; `cells` names the columns it sets (unknown names are ignored, so a
    /// row can be written against several versions of a schema).
    pub fn row<const N: usize>(&mut self, cells: [(&str, V); N]) {
        for c in &mut self.cols {
            c.push(V::Default);
        }
        for (name, v) in cells {
            if let Some(i) = self.index.get(name)
                && let Some(slot) = self.cols[*i].last_mut()
            {
                *slot = v;
            }
        }
    }

    pub fn finish(self) -> Result<RecordBatch> {
        let arrays = self
            .schema
            .fields()
            .iter()
            .zip(self.cols)
            .map(|(f, vals)| column(f.data_type(), f.is_nullable(), &vals))
            .collect::<Result<Vec<_>>>()?;
        Ok(RecordBatch::try_new(self.schema, arrays)?)
    }

    /// The rows as an in-memory table.
    pub fn into_table(self) -> Result<Arc<MemTable>> {
        let schema = self.schema.clone();
        let batch = self.finish()?;
        Ok(Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))
    }
}

fn int(v: &V, nullable: bool) -> Option<i64> {
    match v {
        V::Int(n) => Some(*n),
        V::Float(f) => Some(*f as i64),
        V::Bool(b) => Some(i64::from(*b)),
        V::Default if !nullable => Some(0),
        _ => None,
    }
}

fn text(v: &V, nullable: bool) -> Option<String> {
    match v {
        V::Str(s) => Some(s.clone()),
        V::Int(n) => Some(n.to_string()),
        V::Float(f) => Some(f.to_string()),
        V::Bool(b) => Some(if *b { "t" } else { "f" }.to_string()),
        V::StrList(items) => Some(format!("{{{}}}", items.join(","))),
        V::IntList(items) => Some(
            items
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(" "),
        ),
        V::Default if !nullable => Some(String::new()),
        _ => None,
    }
}

fn column(dt: &DataType, nullable: bool, vals: &[V]) -> Result<ArrayRef> {
    macro_rules! ints {
        ($b:ty, $t:ty) => {{
            let mut b = <$b>::with_capacity(vals.len());
            for v in vals {
                b.append_option(int(v, nullable).and_then(|n| <$t>::try_from(n).ok()));
            }
            Ok(Arc::new(b.finish()) as ArrayRef)
        }};
    }
    match dt {
        DataType::Int16 => ints!(Int16Builder, i16),
        DataType::Int32 => ints!(Int32Builder, i32),
        DataType::Int64 => ints!(Int64Builder, i64),
        DataType::Float32 | DataType::Float64 => {
            let floats = vals.iter().map(|v| match v {
                V::Float(f) => Some(*f),
                V::Int(n) => Some(*n as f64),
                V::Default if !nullable => Some(0.0),
                _ => None,
            });
            if *dt == DataType::Float32 {
                let mut b = Float32Builder::with_capacity(vals.len());
                floats.for_each(|f| b.append_option(f.map(|f| f as f32)));
                Ok(Arc::new(b.finish()))
            } else {
                let mut b = Float64Builder::with_capacity(vals.len());
                floats.for_each(|f| b.append_option(f));
                Ok(Arc::new(b.finish()))
            }
        }
        DataType::Boolean => {
            let mut b = BooleanBuilder::with_capacity(vals.len());
            for v in vals {
                b.append_option(match v {
                    V::Bool(x) => Some(*x),
                    V::Default if !nullable => Some(false),
                    _ => None,
                });
            }
            Ok(Arc::new(b.finish()))
        }
        DataType::Utf8 => {
            let mut b = StringBuilder::with_capacity(vals.len(), vals.len() * 8);
            for v in vals {
                b.append_option(text(v, nullable));
            }
            Ok(Arc::new(b.finish()))
        }
        DataType::List(f) if matches!(f.data_type(), DataType::Utf8) => {
            let mut b = ListBuilder::new(StringBuilder::new()).with_field(f.clone());
            for v in vals {
                match v {
                    V::StrList(items) => {
                        for i in items {
                            b.values().append_value(i);
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            Ok(Arc::new(b.finish()))
        }
        DataType::List(f) if matches!(f.data_type(), DataType::Int16 | DataType::Int32) => {
            let mut b = ListBuilder::new(Int64Builder::new());
            for v in vals {
                match v {
                    V::IntList(items) => {
                        for i in items {
                            b.values().append_value(*i);
                        }
                        b.append(true);
                    }
                    _ => b.append(false),
                }
            }
            let array: ArrayRef = Arc::new(b.finish());
            Ok(cast(&array, dt)?)
        }
        other => {
            if vals.iter().all(|v| matches!(v, V::Default | V::Null)) {
                Ok(new_null_array(other, vals.len()))
            } else {
                // Anything else is filled as text and cast (timestamps, views…).
                let array = column(&DataType::Utf8, true, vals)?;
                cast(&array, other).map_err(|e| {
                    DataFusionError::Internal(format!("catalog column of type {other}: {e}"))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::{Field, Schema};

    #[test]
    fn builds_defaults_and_values() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("oid", DataType::Int32, false),
            Field::new("name", DataType::Utf8, false),
            Field::new("acl", DataType::Utf8, true),
            Field::new("ok", DataType::Boolean, false),
        ]));
        let mut b = TableBuilder::new(schema);
        b.row([("oid", V::from(16385u32)), ("name", "t".into())]);
        b.row([("oid", V::from(7)), ("ok", true.into()), ("nope", V::Null)]);
        let batch = b.finish().unwrap();
        assert_eq!(batch.num_rows(), 2);
        assert_eq!(batch.column(2).null_count(), 2);
        assert_eq!(batch.column(1).null_count(), 0);
    }
}
