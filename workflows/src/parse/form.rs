//! The `form:` section: typed fields of a request.

use super::{FIELD_KEYS, MAX_FIELDS, Reader};
use crate::model::{Computed, FieldType, FormField};
use crate::yaml;
use marked_yaml::Node;
use std::collections::BTreeMap;

const TYPES: &[&str] = &[
    "text",
    "longtext",
    "integer",
    "number",
    "bool",
    "date",
    "datetime",
    "enum",
    "department",
    "class",
    "person",
    "office",
    "request",
    "table",
];

impl Reader<'_> {
    pub(crate) fn form(&mut self, node: &Node) -> Vec<FormField> {
        let Some(m) = self.map(node, "form") else { return Vec::new() };
        let mut fields = Vec::new();
        for (i, (k, v)) in m.entries().enumerate() {
            let name = k.as_str().to_string();
            let pos = yaml::span_pos(k.span());
            if i >= MAX_FIELDS {
                self.err(
                    "too_many_fields",
                    pos,
                    format!("a form has at most {MAX_FIELDS} fields; `{name}` is field {}", i + 1),
                );
                break;
            }
            if !name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                self.err("bad_key", pos, format!("field name `{name}` must use lowercase letters, digits and _"));
            }
            if let Some(field) = self.field(name, pos, v) {
                fields.push(field);
            }
        }
        fields
    }

    pub(crate) fn field(&mut self, name: String, pos: crate::diag::Pos, node: &Node) -> Option<FormField> {
        self.field_in(name, pos, node, false)
    }

    /// A field; `in_table` for a column of a `table` field (which cannot itself be a table).
    fn field_in(&mut self, name: String, pos: crate::diag::Pos, node: &Node, in_table: bool) -> Option<FormField> {
        let mut m = self.map(node, &format!("field `{name}`"))?;
        let ty_node = m.get("type");
        let ty_name = match ty_node {
            Some(n) => self.text(n, "type")?,
            None => {
                self.err("missing_key", pos, format!("field `{name}` needs a `type:` ({})", TYPES.join(", ")));
                return None;
            }
        };
        let required = m.get("required").and_then(|n| self.bool(n, "required")).unwrap_or(false);
        let label = m.get("label").and_then(|n| self.label(n, "label"));
        let multi = m.get("multi").and_then(|n| self.bool(n, "multi")).unwrap_or(false);
        let max_node = m.get("max");
        let min_node = m.get("min");
        let of_node = m.get("of");
        let labels_node = m.get("labels");
        let computed_node = m.get("computed");
        let columns_node = m.get("columns");
        let mut allowed: Vec<&str> = vec!["type", "required", "label", "computed"];
        let ty = match ty_name.as_str() {
            "text" | "longtext" => {
                allowed.push("max");
                let max = max_node.and_then(|n| self.number(n, "max"));
                if ty_name == "text" { FieldType::Text { max } } else { FieldType::Longtext { max } }
            }
            "integer" => {
                allowed.extend(["min", "max"]);
                FieldType::Integer {
                    min: min_node.and_then(|n| self.number(n, "min")),
                    max: max_node.and_then(|n| self.number(n, "max")),
                }
            }
            "number" => {
                allowed.extend(["min", "max"]);
                FieldType::Number {
                    min: min_node.and_then(|n| self.number(n, "min")),
                    max: max_node.and_then(|n| self.number(n, "max")),
                }
            }
            "bool" => FieldType::Bool,
            "date" => FieldType::Date,
            "datetime" => FieldType::Datetime,
            "enum" => {
                allowed.extend(["of", "labels", "multi"]);
                let of: Vec<String> = match of_node {
                    Some(n) => yaml::items(n).into_iter().filter_map(|i| self.text(i, "of")).collect(),
                    None => {
                        self.err("missing_key", pos, format!("enum field `{name}` needs `of: [value, …]`"));
                        Vec::new()
                    }
                };
                let mut labels = BTreeMap::new();
                if let Some(n) = labels_node
                    && let Some(lm) = self.map(n, "labels")
                {
                    for (k, v) in lm.entries() {
                        if !of.iter().any(|o| o == k.as_str()) {
                            self.err(
                                "bad_value",
                                yaml::span_pos(k.span()),
                                format!("`{}` has a label but is not one of `of`", k.as_str()),
                            );
                        }
                        if let Some(l) = self.label(v, "label") {
                            labels.insert(k.as_str().to_string(), l);
                        }
                    }
                }
                FieldType::Enum { of, labels, multi }
            }
            "request" => FieldType::Request,
            "department" | "class" | "person" | "office" => {
                allowed.push("multi");
                match ty_name.as_str() {
                    "department" => FieldType::Department { multi },
                    "class" => FieldType::Class { multi },
                    "person" => FieldType::Person { multi },
                    _ => FieldType::Office { multi },
                }
            }
            "table" if !in_table => {
                allowed.push("columns");
                let mut columns = Vec::new();
                match columns_node {
                    Some(n) => {
                        if let Some(cm) = self.map(n, "columns") {
                            for (k, v) in cm.entries() {
                                let cname = k.as_str().to_string();
                                let cpos = yaml::span_pos(k.span());
                                if !cname.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_') {
                                    self.err(
                                        "bad_key",
                                        cpos,
                                        format!("column name `{cname}` must use lowercase letters, digits and _"),
                                    );
                                }
                                if let Some(c) = self.field_in(cname, cpos, v, true) {
                                    columns.push(c);
                                }
                            }
                        }
                    }
                    None => self.err(
                        "missing_key",
                        pos,
                        format!("table field `{name}` needs `columns: {{ name: {{ type: … }}, … }}`"),
                    ),
                }
                if columns.is_empty() && columns_node.is_some() {
                    self.err("bad_value", pos, format!("table field `{name}` needs at least one column"));
                }
                FieldType::Table { columns }
            }
            "table" => {
                self.err("bad_value", yaml::pos(ty_node.unwrap_or(node)), "a table column cannot itself be a table");
                return None;
            }
            other => {
                let hint = yaml::closest(other, TYPES).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
                self.err(
                    "bad_value",
                    yaml::pos(ty_node.unwrap_or(node)),
                    format!("`{other}` is not a field type ({}){hint}", TYPES.join(", ")),
                );
                return None;
            }
        };
        for (k, _) in m.entries() {
            if FIELD_KEYS.contains(&k.as_str()) && !allowed.contains(&k.as_str()) {
                self.err(
                    "unknown_key",
                    yaml::span_pos(k.span()),
                    format!("`{}` does not apply to a {ty_name} field", k.as_str()),
                );
            }
        }
        let computed = computed_node.and_then(|n| self.computed(&name, &ty, n));
        self.done(&m, FIELD_KEYS);
        Some(FormField { name, ty, required, label, computed, pos })
    }

    /// `computed: ledger.entries`: a known source whose value fits the field's type.
    fn computed(&mut self, name: &str, ty: &FieldType, node: &Node) -> Option<Computed> {
        let text = self.text(node, "computed")?;
        let names: Vec<&str> = Computed::ALL.iter().map(|(n, _)| *n).collect();
        let Some((_, c)) = Computed::ALL.iter().find(|(n, _)| *n == text) else {
            let hint = yaml::closest(&text, &names).map(|s| format!("; did you mean `{s}`?")).unwrap_or_default();
            self.err(
                "bad_value",
                yaml::pos(node),
                format!("`{text}` is not something Liandong computes ({}){hint}", names.join(", ")),
            );
            return None;
        };
        if let Err(want) = c.fits(ty) {
            self.err(
                "bad_value",
                yaml::pos(node),
                format!("`{name}` is computed as `{text}`, which needs {want} field"),
            );
            return None;
        }
        Some(*c)
    }
}
