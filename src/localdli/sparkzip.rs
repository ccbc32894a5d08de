//! Spark's `arrays_zip` field names for the embedded engine. Spark names the struct
//! fields of `arrays_zip(a, t.b, array(1))` after the columns zipped (`a`, `b`) and by
//! position otherwise (`2`, counting from 0); DataFusion's `arrays_zip` always counts
//! from 1. [`super::sparkfuncs`] rewrites the call to
//! `spark_arrays_zip('a', 'b', '2', a, t.b, array(1))`: the names, then the arrays.
//! This function zips with DataFusion's and relabels the fields, sharing the data.
//!
//! Owns this one function.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, ListArray, StructArray};
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Fields};
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::functions_nested::arrays_zip::arrays_zip_udf;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

/// The name the rewrite calls.
pub const NAME: &str = "spark_arrays_zip";

#[derive(Debug, PartialEq, Eq, Hash)]
struct SparkArraysZip {
    signature: Signature,
}

/// The `spark_arrays_zip` function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(SparkArraysZip {
        signature: Signature::variadic_any(Volatility::Immutable),
    })
}

/// Field names (the first half of the arguments, string literals).
fn names(scalars: &[Option<&ScalarValue>]) -> Result<Vec<String>> {
    let n = scalars.len() / 2;
    if n == 0 || !scalars.len().is_multiple_of(2) {
        return plan_err!("{NAME}: expected names then as many arrays");
    }
    scalars[..n]
        .iter()
        .map(|s| match s {
            Some(ScalarValue::Utf8(Some(t)) | ScalarValue::Utf8View(Some(t))) => Ok(t.clone()),
            _ => plan_err!("{NAME}: field names must be string literals"),
        })
        .collect()
}

/// DataFusion's zip type with the fields renamed.
fn renamed(zipped: &DataType, names: &[String]) -> Result<DataType> {
    let DataType::List(item) = zipped else {
        return exec_err!("{NAME}: unexpected zip type {zipped}");
    };
    let DataType::Struct(fields) = item.data_type() else {
        return exec_err!("{NAME}: unexpected zip element {item}");
    };
    let fields: Fields = fields
        .iter()
        .zip(names)
        .map(|(f, n)| Arc::new(f.as_ref().clone().with_name(n.clone())))
        .collect();
    Ok(DataType::List(Arc::new(
        item.as_ref()
            .clone()
            .with_data_type(DataType::Struct(fields)),
    )))
}

impl ScalarUDFImpl for SparkArraysZip {
    fn name(&self) -> &str {
        NAME
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        exec_err!("{NAME}: the return type comes from its name arguments")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let names = names(args.scalar_arguments)?;
        let arrays: Vec<DataType> = args.arg_fields[names.len()..]
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        let zipped = arrays_zip_udf().return_type(&arrays)?;
        Ok(Arc::new(Field::new(NAME, renamed(&zipped, &names)?, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let n = args.args.len() / 2;
        let inner = arrays_zip_udf();
        let arg_fields = args.arg_fields[n..].to_vec();
        let types: Vec<DataType> = arg_fields.iter().map(|f| f.data_type().clone()).collect();
        let zipped_type = inner.return_type(&types)?;
        let zipped = inner.invoke_with_args(ScalarFunctionArgs {
            args: args.args[n..].to_vec(),
            arg_fields,
            number_rows: args.number_rows,
            return_field: Arc::new(Field::new("arrays_zip", zipped_type, true)),
            config_options: Arc::clone(&args.config_options),
        })?;
        let array = zipped.to_array(args.number_rows)?;
        let DataType::List(item) = args.return_field.data_type() else {
            return exec_err!("{NAME}: unexpected return type");
        };
        let DataType::Struct(fields) = item.data_type() else {
            return exec_err!("{NAME}: unexpected return element");
        };
        let Some(list) = array.as_list_opt::<i32>() else {
            return exec_err!("{NAME}: arrays_zip did not return a list");
        };
        let Some(values) = list.values().as_struct_opt() else {
            return exec_err!("{NAME}: arrays_zip did not return structs");
        };
        let values = StructArray::try_new(
            fields.clone(),
            values.columns().to_vec(),
            values.nulls().cloned(),
        )?;
        let relabelled = ListArray::try_new(
            Arc::clone(item),
            list.offsets().clone(),
            Arc::new(values),
            list.nulls().cloned(),
        )?;
        Ok(ColumnarValue::Array(Arc::new(relabelled)))
    }
}
