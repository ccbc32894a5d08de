//! Rows of the `dli_flink` relations as Arrow batches: a column is declared once (name,
//! type, comment) and every row is a list of [`Val`]s in that order.
//!
//! Owns: [`Col`] (the declaration every relation, `pg_attribute` row and comment is
//! derived from) and [`batch`]. Must not call DLI.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Int32Builder, Int64Builder, ListBuilder, StringBuilder,
    TimestampMillisecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::error::Result;

/// A column's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Int8,
    Int4,
    Text,
    Bool,
    /// `timestamp` (UTC wall clock), from epoch milliseconds.
    Ts,
    /// `text[]`
    TextArray,
    /// `int4[]`
    Int4Array,
}

/// One declared column.
#[derive(Debug, Clone, Copy)]
pub struct Col {
    pub name: &'static str,
    pub ty: Ty,
    pub comment: &'static str,
}

pub const fn col(name: &'static str, ty: Ty, comment: &'static str) -> Col {
    Col { name, ty, comment }
}

/// One value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    I64(i64),
    Text(String),
    Bool(bool),
    List(Vec<String>),
    Ints(Vec<i64>),
}

impl Val {
    pub fn opt_i64(v: Option<i64>) -> Val {
        v.map_or(Val::Null, Val::I64)
    }
    pub fn opt_text(v: Option<&str>) -> Val {
        v.map_or(Val::Null, |s| Val::Text(s.to_string()))
    }
    pub fn text(v: &str) -> Val {
        Val::Text(v.to_string())
    }
    pub fn opt_bool(v: Option<bool>) -> Val {
        v.map_or(Val::Null, Val::Bool)
    }
}

fn arrow_type(ty: Ty) -> DataType {
    match ty {
        Ty::Int8 => DataType::Int64,
        Ty::Int4 => DataType::Int32,
        Ty::Text => DataType::Utf8,
        Ty::Bool => DataType::Boolean,
        Ty::Ts => DataType::Timestamp(TimeUnit::Millisecond, None),
        Ty::TextArray => DataType::List(Arc::new(Field::new_list_field(DataType::Utf8, true))),
        Ty::Int4Array => DataType::List(Arc::new(Field::new_list_field(DataType::Int32, true))),
    }
}

/// The Arrow schema of `cols`.
pub fn schema(cols: &[Col]) -> SchemaRef {
    Arc::new(Schema::new(
        cols.iter()
            .map(|c| Field::new(c.name, arrow_type(c.ty), true))
            .collect::<Vec<_>>(),
    ))
}

/// Spark type name of a column (the catalog model's column type).
pub fn spark_name(ty: Ty) -> String {
    crate::catalog::types::arrow_spark_name(&arrow_type(ty))
}

fn int32(v: i64) -> Option<i32> {
    i32::try_from(v).ok()
}

/// `rows` (each in `cols` order) as one batch of `schema`.
pub fn batch(cols: &[Col], schema: &SchemaRef, rows: &[Vec<Val>]) -> Result<RecordBatch> {
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(cols.len());
    for (i, c) in cols.iter().enumerate() {
        let cell = |r: &Vec<Val>| r.get(i).cloned().unwrap_or(Val::Null);
        let array: ArrayRef = match c.ty {
            Ty::Int8 | Ty::Ts => {
                let vals = rows.iter().map(|r| match cell(r) {
                    Val::I64(v) => Some(v),
                    _ => None,
                });
                if c.ty == Ty::Ts {
                    let mut b = TimestampMillisecondBuilder::new();
                    vals.for_each(|v| b.append_option(v));
                    Arc::new(b.finish())
                } else {
                    let mut b = Int64Builder::new();
                    vals.for_each(|v| b.append_option(v));
                    Arc::new(b.finish())
                }
            }
            Ty::Int4 => {
                let mut b = Int32Builder::new();
                for r in rows {
                    b.append_option(match cell(r) {
                        Val::I64(v) => int32(v),
                        _ => None,
                    });
                }
                Arc::new(b.finish())
            }
            Ty::Text => {
                let mut b = StringBuilder::new();
                for r in rows {
                    match cell(r) {
                        Val::Text(s) => b.append_value(s),
                        _ => b.append_null(),
                    }
                }
                Arc::new(b.finish())
            }
            Ty::Bool => {
                let mut b = BooleanBuilder::new();
                for r in rows {
                    b.append_option(match cell(r) {
                        Val::Bool(v) => Some(v),
                        _ => None,
                    });
                }
                Arc::new(b.finish())
            }
            Ty::TextArray => {
                let mut b = ListBuilder::new(StringBuilder::new());
                for r in rows {
                    match cell(r) {
                        Val::List(items) => {
                            for s in items {
                                b.values().append_value(s);
                            }
                            b.append(true);
                        }
                        _ => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
            Ty::Int4Array => {
                let mut b = ListBuilder::new(Int32Builder::new());
                for r in rows {
                    match cell(r) {
                        Val::Ints(items) => {
                            for v in items {
                                b.values().append_option(int32(v));
                            }
                            b.append(true);
                        }
                        _ => b.append(false),
                    }
                }
                Arc::new(b.finish())
            }
        };
        arrays.push(array);
    }
    Ok(RecordBatch::try_new(schema.clone(), arrays)?)
}
