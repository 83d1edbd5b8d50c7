//! What tract needs to read published depth exports as their publishers run
//! them: the opset-9 `Upsample` of MiDaS's own export script (tract implements
//! only its successor `Resize`), and whether a graph normalises its input itself.

use std::collections::HashMap;
use tract_onnx::model::{OnnxOpRegister, ParsingContext};
use tract_onnx::pb::{attribute_proto::AttributeType, AttributeProto, GraphProto, NodeProto};
use tract_onnx::tract_hir::internal::*;
use tract_onnx::Onnx;

/// ImageNet channel means, which the published depth models normalise with.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];

/// An ONNX reader that also understands `Upsample`.
pub fn onnx_reader() -> Onnx {
    let mut reader = tract_onnx::onnx();
    let register: &mut OnnxOpRegister = &mut reader.op_register;
    register.insert("Upsample", upsample);
    reader
}

/// `Upsample` (opsets 9 and later: inputs X and scales) is `Resize` of opset 10
/// with the same inputs: asymmetric coordinates, and nearest samples rounded
/// down, as onnxruntime runs it.
fn upsample(
    ctx: &ParsingContext,
    node: &NodeProto,
) -> TractResult<(Box<dyn InferenceOp>, Vec<String>)> {
    if node.input.len() != 2 {
        bail!(
            "Upsample node {:?} has {} inputs; only the opset-9 form (X, scales) is read",
            node.name,
            node.input.len()
        );
    }
    let resize = *ctx
        .framework
        .op_register
        .0
        .get("Resize")
        .ok_or_else(|| format_err!("this tract has no Resize operator"))?;
    let mut as_resize = node.clone();
    as_resize.op_type = "Resize".into();
    for attribute in &mut as_resize.attribute {
        // Opset 7 spelled bilinear interpolation "bilinear"; Resize calls it "linear".
        if attribute.name == "mode" && attribute.s == b"bilinear" {
            attribute.s = b"linear".to_vec();
        }
    }
    as_resize
        .attribute
        .push(string_attribute("nearest_mode", "floor"));
    let mut ctx = ctx.clone();
    ctx.onnx_operator_set_version = 10;
    resize(&ctx, &as_resize)
}

fn string_attribute(name: &str, value: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: AttributeType::String as i32,
        s: value.as_bytes().to_vec(),
        ..Default::default()
    }
}

/// True when the graph subtracts per-channel means from its input itself (as
/// MiDaS's export does), so the caller must feed plain [0, 1] RGB: normalising
/// twice gives the network a different image.
///
/// Looks at the elementwise nodes that directly follow the input (through at most
/// four `Sub`/`Div`/`Mul`/`Add`/`Cast`/`Identity` steps) for a `Sub` of three
/// constants near the ImageNet means.
pub fn normalises_input(graph: &GraphProto, model_dir: Option<&str>) -> bool {
    let constants = Constants::of(graph, model_dir);
    let Some(input) = graph
        .input
        .iter()
        .map(|i| i.name.as_str())
        .find(|name| !constants.named.contains_key(name))
    else {
        return false;
    };
    let mut value = input.to_string();
    for _ in 0..4 {
        let Some(node) = graph.node.iter().find(|n| n.input.contains(&value)) else {
            return false;
        };
        let others: Vec<&String> = node.input.iter().filter(|i| **i != value).collect();
        match node.op_type.as_str() {
            "Sub" => {
                return others
                    .first()
                    .and_then(|name| constants.values(name))
                    .is_some_and(|v| is_imagenet_mean(&v))
            }
            "Div" | "Mul" | "Add" | "Cast" | "Identity" => {}
            _ => return false,
        }
        let Some(output) = node.output.first() else {
            return false;
        };
        value = output.clone();
    }
    false
}

fn is_imagenet_mean(values: &[f32]) -> bool {
    values.len() == 3
        && values
            .iter()
            .zip(IMAGENET_MEAN)
            .all(|(v, mean)| (v - mean).abs() < 0.01)
}

/// The graph's constant tensors by name: initializers and `Constant` nodes.
struct Constants<'a> {
    named: HashMap<&'a str, &'a tract_onnx::pb::TensorProto>,
    model_dir: Option<&'a str>,
}

impl<'a> Constants<'a> {
    fn of(graph: &'a GraphProto, model_dir: Option<&'a str>) -> Self {
        let mut named: HashMap<&str, &tract_onnx::pb::TensorProto> = graph
            .initializer
            .iter()
            .map(|t| (t.name.as_str(), t))
            .collect();
        for node in graph.node.iter().filter(|n| n.op_type == "Constant") {
            let value = node.attribute.iter().find(|a| a.name == "value");
            if let (Some(output), Some(tensor)) =
                (node.output.first(), value.and_then(|a| a.t.as_ref()))
            {
                named.insert(output.as_str(), tensor);
            }
        }
        Constants { named, model_dir }
    }

    /// The values of constant `name` as f32; None when it is no small float constant.
    fn values(&self, name: &str) -> Option<Vec<f32>> {
        let proto = self.named.get(name)?;
        let provider = tract_onnx::data_resolver::MmapDataResolver;
        let tensor = tract_onnx::tensor::load_tensor(&provider, proto, self.model_dir).ok()?;
        if tensor.len() > 16 {
            return None;
        }
        let tensor = tensor.cast_to::<f32>().ok()?;
        Some(
            tensor
                .to_plain_array_view::<f32>()
                .ok()?
                .iter()
                .copied()
                .collect(),
        )
    }
}
