//! Spark's `from_json(json, 'schema')` for the embedded engine: a JSON string read as a
//! map, struct or array of the given Spark type (NULL for malformed JSON, as Spark's
//! default PERMISSIVE mode). The gateway uses it for parameters bound to map and struct
//! casts (`CAST($1 AS MAP<STRING,INT>)`), which Spark cannot cast from a string.
//!
//! Owns this one function.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Field, FieldRef, Schema};
use datafusion::arrow::json::ReaderBuilder;
use datafusion::common::{ScalarValue, exec_err, plan_err};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use crate::pgtypes::SparkType;

#[derive(Debug, PartialEq, Eq, Hash)]
struct FromJson {
    signature: Signature,
}

/// The `from_json` function.
pub fn udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(FromJson {
        signature: Signature::any(2, Volatility::Immutable),
    })
}

fn schema_type(arg: Option<&ScalarValue>) -> Result<DataType> {
    let text = match arg {
        Some(
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
        ) => s,
        _ => return plan_err!("from_json: the schema must be a string literal"),
    };
    match SparkType::try_parse(text) {
        Ok(t) => Ok(t.to_arrow()),
        Err(e) => plan_err!("from_json: invalid schema {text:?}: {e}"),
    }
}

impl ScalarUDFImpl for FromJson {
    fn name(&self) -> &str {
        "from_json"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        exec_err!("from_json: the return type comes from its schema argument")
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let dt = schema_type(args.scalar_arguments.get(1).copied().flatten())?;
        Ok(Arc::new(Field::new(self.name(), dt, true)))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let dt = args.return_field.data_type().clone();
        let input = args.args[0].to_array(args.number_rows)?;
        let input = cast(&input, &DataType::Utf8)?;
        let texts = input.as_string::<i32>();
        // One JSON line per row, `{"v": <value>}`; malformed values become null.
        let mut lines = String::new();
        for i in 0..texts.len() {
            let value = if texts.is_null(i) {
                "null"
            } else {
                let t = texts.value(i);
                if serde_json::from_str::<serde_json::Value>(t).is_ok() {
                    t
                } else {
                    "null"
                }
            };
            lines.push_str("{\"v\":");
            lines.push_str(value);
            lines.push_str("}\n");
        }
        let schema = Arc::new(Schema::new(vec![Field::new("v", dt, true)]));
        let mut decoder = ReaderBuilder::new(schema).build_decoder()?;
        decoder.decode(lines.as_bytes())?;
        match decoder.flush()? {
            Some(batch) => Ok(ColumnarValue::Array(Arc::clone(batch.column(0)))),
            None => exec_err!("from_json: no rows decoded"),
        }
    }
}
