//! Saving and loading a [`Linear`] layer's parameters as safetensors, under
//! PyTorch's `nn.Linear` names: `weight` of shape `(out, in)` and `bias` of
//! shape `(out)`, little-endian `f32` or `f64` — so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads them
//! into an `nn.Linear(in, out)` directly.
//!
//! **Raw inputs.** A model trained on scaled inputs (`x / 255`, or
//! standardised `(x − μ) / σ`) has weights in the units of the scaled
//! inputs. [`save_for_raw_inputs`] folds the scaling back into the weights
//! before writing, `W' = W / σ` and `b' = b − W (μ / σ)`, so that the file
//! applies to the raw inputs (the values in the data files) and a plain
//! `nn.Linear` reproduces the model's outputs with no preprocessing. It
//! marks such a file with the metadata entry [`INPUTS_KEY`]` = "raw"`;
//! [`load_checkpoint`] reports the mark, and [`unfold_scaling`] turns the
//! weights back into the units of a scaled training run.
//!
//! **PyTorch state dicts.** A layer inside a module is saved under a
//! prefix (`1.weight` for the book's `nn.Sequential(nn.Flatten(),
//! nn.Linear(…))`, `fc.weight` for an attribute `fc`). The loaders accept a
//! prefix, given ([`LoadOptions::prefix`]) or found: the one `*weight`
//! tensor of the file, or the one among several of the model's shape.
//! When none fits, the error lists the tensors the file holds. Weights that
//! are not finite (NaN, ±∞, or beyond `f32`'s range when loading in `f32`)
//! are refused.

use std::collections::HashMap;
use std::io;
use std::path::{Path, PathBuf};

use models::Linear;
use models::autodiff::kernels::Dtype as ElemDtype;
use models::autodiff::{Element, ShapeError, Tensor};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::{SafeTensorError, SafeTensors, serialize};

use crate::atomic::write_atomic;
use crate::data::scale::Scaling;

/// The metadata key that says which inputs the weights apply to.
pub const INPUTS_KEY: &str = "inputs";
/// The value of [`INPUTS_KEY`] written by [`save_for_raw_inputs`]: the
/// weights apply to raw, unscaled inputs.
pub const RAW_INPUTS: &str = "raw";

/// Why a checkpoint could not be written or read. Each names the file, or
/// the function that found the problem.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckpointError {
    /// Reading or writing the file failed; the I/O error is the source.
    #[error("{}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid safetensors (or the layer could not be
    /// encoded as such); the reader's error is the source.
    #[error("{}: not a safetensors file", .path.display())]
    Format {
        /// The file.
        path: PathBuf,
        /// What the safetensors reader said.
        #[source]
        source: SafeTensorError,
    },
    /// A tensor the layer needs is not in the file.
    #[error("{}: no tensor named '{name}'; {}", .path.display(), holds(.found))]
    Missing {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The tensors the file holds, as `name dtype [shape]`, sorted.
        found: Vec<String>,
    },
    /// Several layers could be the one wanted, and the shape does not
    /// single one out.
    #[error(
        "{}: several layers could be loaded ({}); name the one to load by its prefix",
        .path.display(),
        list(.candidates)
    )]
    Ambiguous {
        /// The file.
        path: PathBuf,
        /// The candidate weights, as `name dtype [shape]`, sorted.
        candidates: Vec<String>,
    },
    /// A tensor of the file has a shape other than the model's: `shape`
    /// holds the model's shape (`left`) and the file's (`right`).
    #[error(
        "{}: tensor '{name}' has shape {}, but this model needs {} \
         (the file was saved from a model of another size)",
        .path.display(),
        .shape.right,
        .shape.left
    )]
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The two shapes (operation `load_checkpoint`).
        shape: ShapeError,
    },
    /// A tensor has an element type other than `f32` or `f64`.
    #[error("{}: tensor '{name}' holds {dtype}, expected F32 or F64", .path.display())]
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The type in the file.
        dtype: String,
    },
    /// A tensor holds a value that is not finite in the type loaded.
    #[error(
        "{}: tensor '{name}' holds {value} at index {index}; weights must be finite",
        .path.display()
    )]
    NonFinite {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: String,
        /// The position of the first such value (row-major).
        index: usize,
        /// The value, as read from the file.
        value: f64,
    },
    /// A scaling whose number of features is not the layer's number of
    /// inputs ([`fold_scaling`], [`unfold_scaling`]).
    #[error(transparent)]
    Scaling(ShapeError),
    /// A scaling that shifts the inputs, folded into a layer without a
    /// bias to absorb the shift.
    #[error(
        "{op}: the scaling shifts the inputs, and a layer without a bias cannot absorb the shift"
    )]
    NoBias {
        /// The function called (`"fold_scaling"`).
        op: &'static str,
    },
    /// The layer refused the parameters built for it (not expected: they
    /// are built to its shapes).
    #[error(transparent)]
    Model(#[from] models::Error),
}

/// The end of a [`CheckpointError::Missing`] message.
fn holds(found: &[String]) -> String {
    if found.is_empty() {
        "the file holds no tensors".to_owned()
    } else {
        format!("the file holds {}", list(found))
    }
}

/// At most this many tensor names in a message.
const LISTED: usize = 12;

fn list(items: &[String]) -> String {
    let mut s = items
        .iter()
        .take(LISTED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > LISTED {
        s.push_str(&format!(" and {} more", items.len() - LISTED));
    }
    s
}

/// An I/O error without the name of the temporary file it happened on, so
/// that messages name only the user's file. The `tempfile` crate wraps
/// errors in a private type that appends ` at path "…"` to the message and
/// exposes neither the cause nor the path, so the suffix is cut from the
/// text; the kind is kept.
fn plain_io(e: io::Error) -> io::Error {
    let msg = e.to_string();
    match msg.find(" at path \"") {
        Some(i) => io::Error::new(e.kind(), &msg[..i]),
        None => e,
    }
}

fn to_bytes<T: Element>(x: &[T]) -> Vec<u8> {
    let mut out = Vec::with_capacity(std::mem::size_of_val(x));
    for &v in x {
        match T::DTYPE {
            ElemDtype::F32 => out.extend_from_slice(&(v.to_f64() as f32).to_le_bytes()),
            ElemDtype::F64 => out.extend_from_slice(&v.to_f64().to_le_bytes()),
        }
    }
    out
}

fn st_dtype<T: Element>() -> Dtype {
    match T::DTYPE {
        ElemDtype::F32 => Dtype::F32,
        ElemDtype::F64 => Dtype::F64,
    }
}

/// Writes `layer`'s `weight` `(out, in)` and `bias` `(out)` (if any) to
/// `path` as safetensors in `T`'s type, atomically (a temporary file in
/// the same directory, renamed over `path`), as they are: a layer trained
/// on scaled inputs keeps the units of those inputs (see
/// [`save_for_raw_inputs`] for a file that applies to raw inputs).
///
/// # Errors
/// [`CheckpointError::Io`] if the file cannot be written.
///
/// ```
/// use models::Linear;
/// let layer = Linear::<f32>::new(3, 2, true, &mut train::seeded(0))?;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.safetensors");
/// train::checkpoint::save_linear(&path, &layer)?;
/// let back = train::checkpoint::load_linear::<f32>(&path, 2, 3, true)?;
/// assert_eq!(back, layer);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_linear<T: Element>(path: &Path, layer: &Linear<T>) -> Result<(), CheckpointError> {
    save_with_metadata(path, layer, None)
}

/// Folds `scaling` into `layer` ([`fold_scaling`]) and writes the result
/// as [`save_linear`] does, with the metadata [`INPUTS_KEY`]` = "raw"`
/// (the only entry, so that the same weights always give the same bytes).
/// The file then applies to raw inputs: `x_raw · Wᵀ + b` gives the outputs
/// the trained model gives on `scaling(x_raw)`.
///
/// # Errors
/// [`CheckpointError::Scaling`] if the scaling does not fit the layer;
/// [`CheckpointError::Io`] if the file cannot be written.
///
/// ```
/// use models::Linear;
/// use models::autodiff::Tensor;
/// use train::checkpoint::{load_checkpoint, save_for_raw_inputs, LoadOptions};
/// use train::{Scaling, Standardizer};
///
/// // A model trained on standardised inputs (x - 10) / 2 …
/// let scaled = Linear::from_parameters(
///     Tensor::from_vec(vec![4.0f64], [1, 1])?,
///     Some(Tensor::from_vec(vec![1.0], [1])?),
/// )?;
/// let scaling = Scaling::Standardize(Standardizer::from_stats(vec![10.0], vec![2.0])?);
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.safetensors");
/// save_for_raw_inputs(&path, &scaled, &scaling)?;
/// // … is saved as y = 2 x − 19, which takes raw x.
/// let loaded = load_checkpoint::<f64>(&path, 1, 1, &LoadOptions::default())?;
/// assert!(loaded.raw_inputs);
/// assert_eq!(loaded.layer.weight.to_vec(), [2.0]);
/// assert_eq!(loaded.layer.bias.unwrap().to_vec(), [-19.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_for_raw_inputs<T: Element>(
    path: &Path,
    layer: &Linear<T>,
    scaling: &Scaling,
) -> Result<(), CheckpointError> {
    let folded = fold_scaling(layer, scaling)?;
    // One entry only: the header is a JSON object written in the map's
    // order, which for several entries would differ from run to run.
    let metadata = HashMap::from([(INPUTS_KEY.to_owned(), RAW_INPUTS.to_owned())]);
    save_with_metadata(path, &folded, Some(metadata))
}

fn save_with_metadata<T: Element>(
    path: &Path,
    layer: &Linear<T>,
    metadata: Option<HashMap<String, String>>,
) -> Result<(), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source: plain_io(source),
    };
    let mut tensors = Vec::new();
    for (name, t) in layer.parameters() {
        tensors.push((name, to_bytes(t.as_slice()), t.shape().dims().to_vec()));
    }
    let views = tensors
        .iter()
        .map(|(name, bytes, shape)| {
            TensorView::new(st_dtype::<T>(), shape.clone(), bytes).map(|v| (*name, v))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(format_err(path))?;
    let bytes = serialize(views, metadata).map_err(format_err(path))?;
    write_atomic(path, |w| w.write_all(&bytes)).map_err(io)
}

/// A [`CheckpointError::Format`] naming `path`.
fn format_err(path: &Path) -> impl Fn(SafeTensorError) -> CheckpointError + '_ {
    move |source| CheckpointError::Format {
        path: path.to_path_buf(),
        source,
    }
}

/// The per-feature `(shift, factor)` of the affine map
/// `x ↦ (x − shift_j) · factor_j`.
type Affine = (Vec<f64>, Vec<f64>);

/// The per-feature affine map a scaling applies, or `None` for the
/// identity.
fn affine(
    op: &'static str,
    scaling: &Scaling,
    features: usize,
) -> Result<Option<Affine>, CheckpointError> {
    match scaling {
        Scaling::Identity => Ok(None),
        Scaling::Divide(d) => Ok(Some((vec![0.0; features], vec![1.0 / d.max(); features]))),
        Scaling::Standardize(s) => {
            if s.features() != features {
                return Err(CheckpointError::Scaling(ShapeError::new(
                    op,
                    "the standardisation's features vs the layer's inputs",
                    &[s.features()],
                    &[features],
                )));
            }
            Ok(Some((s.mean().to_vec(), s.inv_std().to_vec())))
        }
    }
}

/// The layer that gives on raw inputs `x` what `layer` gives on
/// `scaling(x)`: with `scaling(x)_j = (x_j − μ_j) · f_j`,
/// `W'_ij = W_ij f_j` and `b'_i = b_i − Σ_j W_ij f_j μ_j`, computed in
/// `f64` and rounded once to `T`.
///
/// # Errors
/// [`CheckpointError::Scaling`] if the scaling has another number of
/// features than the layer; [`CheckpointError::NoBias`] if it shifts the
/// inputs while the layer has no bias.
pub fn fold_scaling<T: Element>(
    layer: &Linear<T>,
    scaling: &Scaling,
) -> Result<Linear<T>, CheckpointError> {
    const OP: &str = "fold_scaling";
    let d = layer.in_features();
    let Some((shift, factor)) = affine(OP, scaling, d)? else {
        return Ok(layer.clone());
    };
    let w = layer.weight.as_slice();
    let mut weight = Vec::with_capacity(w.len());
    let mut offsets = Vec::with_capacity(layer.out_features());
    for row in w.chunks_exact(d.max(1)).take(layer.out_features()) {
        let mut offset = 0.0f64;
        for ((&wij, &f), &m) in row.iter().zip(&factor).zip(&shift) {
            let folded = wij.to_f64() * f;
            weight.push(T::from_f64(folded));
            offset += folded * m;
        }
        offsets.push(offset);
    }
    rebuild(OP, layer, weight, &offsets, -1.0)
}

/// The inverse of [`fold_scaling`]: the layer that gives on `scaling(x)`
/// what `layer` gives on raw `x` (`W_ij = W'_ij / f_j`,
/// `b_i = b'_i + Σ_j W'_ij μ_j`), for continuing to train, on scaled
/// inputs, weights saved by [`save_for_raw_inputs`].
///
/// # Errors
/// As [`fold_scaling`].
pub fn unfold_scaling<T: Element>(
    layer: &Linear<T>,
    scaling: &Scaling,
) -> Result<Linear<T>, CheckpointError> {
    const OP: &str = "unfold_scaling";
    let d = layer.in_features();
    let Some((shift, factor)) = affine(OP, scaling, d)? else {
        return Ok(layer.clone());
    };
    let w = layer.weight.as_slice();
    let mut weight = Vec::with_capacity(w.len());
    let mut offsets = Vec::with_capacity(layer.out_features());
    for row in w.chunks_exact(d.max(1)).take(layer.out_features()) {
        let mut offset = 0.0f64;
        for ((&wij, &f), &m) in row.iter().zip(&factor).zip(&shift) {
            weight.push(T::from_f64(wij.to_f64() / f));
            offset += wij.to_f64() * m;
        }
        offsets.push(offset);
    }
    rebuild(OP, layer, weight, &offsets, 1.0)
}

/// `layer` with `weight` and its bias moved by `sign · offsets`.
fn rebuild<T: Element>(
    op: &'static str,
    layer: &Linear<T>,
    weight: Vec<T>,
    offsets: &[f64],
    sign: f64,
) -> Result<Linear<T>, CheckpointError> {
    let bad = |e| CheckpointError::Model(models::Error::from(e));
    let weight = Tensor::from_vec(weight, layer.weight.shape().dims()).map_err(bad)?;
    let bias = match &layer.bias {
        Some(b) => {
            let moved: Vec<T> = b
                .as_slice()
                .iter()
                .zip(offsets)
                .map(|(&bi, &o)| T::from_f64(bi.to_f64() + sign * o))
                .collect();
            Some(Tensor::from_vec(moved, b.shape().dims()).map_err(bad)?)
        }
        None if offsets.iter().any(|&o| o != 0.0) => {
            return Err(CheckpointError::NoBias { op });
        }
        None => None,
    };
    Ok(Linear::from_parameters(weight, bias)?)
}

/// How [`load_checkpoint`] finds the layer in a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LoadOptions {
    /// The layer's module prefix in a PyTorch state dict (`"1"` for
    /// `1.weight`, `"fc"` for `fc.weight`; a trailing `.` is optional, and
    /// `""` means the bare `weight`); `None` finds it (see the module
    /// documentation).
    pub prefix: Option<String>,
    /// Ignore the file's bias: load a layer without one.
    pub no_bias: bool,
}

/// A layer read by [`load_checkpoint`], and what the file said about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Loaded<T: Element> {
    /// The layer, as stored in the file.
    pub layer: Linear<T>,
    /// The prefix its tensors were found under (`""`, `"1."`, `"fc."`).
    pub prefix: String,
    /// True if the file says its weights apply to raw inputs
    /// ([`INPUTS_KEY`]` = "raw"`, as [`save_for_raw_inputs`] writes); false
    /// for a file that does not say (one written by PyTorch, or by
    /// [`save_linear`]).
    pub raw_inputs: bool,
}

/// Reads an `nn.Linear(in_features, out_features)` layer saved by
/// [`save_linear`] or [`save_for_raw_inputs`] or by PyTorch's safetensors,
/// converting `f32`/`f64` to `T`, and finds its prefix in a state dict.
///
/// # Errors
/// [`CheckpointError::Missing`] (listing the file's tensors) when no
/// weight fits; [`CheckpointError::Ambiguous`] when several do;
/// [`CheckpointError::Shape`] if a tensor's shape is not the model's
/// (naming both shapes); [`CheckpointError::NonFinite`];
/// [`CheckpointError::Dtype`], [`CheckpointError::Format`],
/// [`CheckpointError::Io`].
///
/// ```
/// use std::collections::HashMap;
/// use safetensors::tensor::{Dtype, TensorView};
/// use train::checkpoint::{load_checkpoint, LoadOptions};
///
/// // A state dict of nn.Sequential(nn.Flatten(), nn.Linear(2, 1)).
/// let w: Vec<u8> = [0.5f32, -1.0].iter().flat_map(|v| v.to_le_bytes()).collect();
/// let b: Vec<u8> = 2.0f32.to_le_bytes().to_vec();
/// let tensors = HashMap::from([
///     ("1.weight", TensorView::new(Dtype::F32, vec![1, 2], &w)?),
///     ("1.bias", TensorView::new(Dtype::F32, vec![1], &b)?),
/// ]);
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("torch.safetensors");
/// std::fs::write(&path, safetensors::serialize(tensors, None)?)?;
/// let loaded = load_checkpoint::<f32>(&path, 1, 2, &LoadOptions::default())?;
/// assert_eq!(loaded.prefix, "1.");
/// assert_eq!(loaded.layer.weight.to_vec(), [0.5, -1.0]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_checkpoint<T: Element>(
    path: &Path,
    out_features: usize,
    in_features: usize,
    options: &LoadOptions,
) -> Result<Loaded<T>, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_checkpoint_bytes(&bytes, path, out_features, in_features, options)
}

/// [`load_checkpoint`] from safetensors bytes held in memory; `path` names
/// the source in errors.
///
/// # Errors
/// As [`load_checkpoint`], except that there is no file to fail to read.
pub fn load_checkpoint_bytes<T: Element>(
    bytes: &[u8],
    path: &Path,
    out_features: usize,
    in_features: usize,
    options: &LoadOptions,
) -> Result<Loaded<T>, CheckpointError> {
    let st = SafeTensors::deserialize(bytes).map_err(format_err(path))?;
    let (_, header) = SafeTensors::read_metadata(bytes).map_err(format_err(path))?;
    let raw_inputs = header
        .metadata()
        .as_ref()
        .and_then(|m| m.get(INPUTS_KEY))
        .is_some_and(|v| v == RAW_INPUTS);
    let prefix = find_prefix(&st, path, options, [out_features, in_features])?;
    let weight_name = format!("{prefix}weight");
    let weight = read_tensor::<T>(path, &st, &weight_name, &[out_features, in_features])?;
    let bias = if options.no_bias {
        None
    } else {
        let bias_name = format!("{prefix}bias");
        Some(read_tensor::<T>(path, &st, &bias_name, &[out_features])?)
    };
    let layer = Linear::from_parameters(weight, bias)?;
    Ok(Loaded {
        layer,
        prefix,
        raw_inputs,
    })
}

/// `name dtype [shape]`, for messages.
fn entry(name: &str, view: &TensorView<'_>) -> String {
    format!("{name} {:?} {:?}", view.dtype(), view.shape())
}

/// Every tensor of the file as [`entry`], sorted by name.
fn inventory(st: &SafeTensors<'_>) -> Vec<String> {
    let mut found: Vec<(String, String)> = st
        .iter()
        .map(|(name, view)| (name.to_owned(), entry(name, &view)))
        .collect();
    found.sort();
    found.into_iter().map(|(_, e)| e).collect()
}

/// The prefix (`""` or ending in `.`) of the layer to load.
fn find_prefix(
    st: &SafeTensors<'_>,
    path: &Path,
    options: &LoadOptions,
    shape: [usize; 2],
) -> Result<String, CheckpointError> {
    let missing = |name: String| CheckpointError::Missing {
        path: path.to_path_buf(),
        name,
        found: inventory(st),
    };
    if let Some(given) = &options.prefix {
        let given = given.trim_end_matches('.');
        let prefix = if given.is_empty() {
            String::new()
        } else {
            format!("{given}.")
        };
        let name = format!("{prefix}weight");
        return match st.tensor(&name) {
            Ok(_) => Ok(prefix),
            Err(_) => Err(missing(name)),
        };
    }
    let mut candidates: Vec<(String, TensorView<'_>)> = st
        .iter()
        .filter(|(name, _)| *name == "weight" || name.ends_with(".weight"))
        .map(|(name, view)| (name.to_owned(), view))
        .collect();
    candidates.sort_by(|a, b| a.0.cmp(&b.0));
    let prefix_of = |name: &str| name[..name.len() - "weight".len()].to_owned();
    match candidates.len() {
        0 => Err(missing("weight".to_owned())),
        1 => Ok(prefix_of(&candidates[0].0)),
        _ => {
            let fitting: Vec<&(String, TensorView<'_>)> = candidates
                .iter()
                .filter(|(_, view)| view.shape() == shape)
                .collect();
            if let [(name, _)] = fitting.as_slice() {
                Ok(prefix_of(name))
            } else if candidates.iter().any(|(name, _)| name == "weight") && fitting.is_empty() {
                // An unprefixed weight is the layer itself; its shape error
                // says more than a list would.
                Ok(String::new())
            } else {
                Err(CheckpointError::Ambiguous {
                    path: path.to_path_buf(),
                    candidates: candidates
                        .iter()
                        .map(|(name, view)| entry(name, view))
                        .collect(),
                })
            }
        }
    }
}

/// Reads an `nn.Linear(in_features, out_features)` layer saved by
/// [`save_linear`] (or by PyTorch's safetensors, under a prefix found as
/// [`load_checkpoint`] finds it), converting `f32`/`f64` to `T`; without
/// `bias` a bias in the file is ignored. The layer is returned as stored:
/// see [`load_checkpoint`] for whether the file says it applies to raw
/// inputs.
///
/// # Errors
/// As [`load_checkpoint`].
pub fn load_linear<T: Element>(
    path: &Path,
    out_features: usize,
    in_features: usize,
    bias: bool,
) -> Result<Linear<T>, CheckpointError> {
    let options = LoadOptions {
        prefix: None,
        no_bias: !bias,
    };
    Ok(load_checkpoint(path, out_features, in_features, &options)?.layer)
}

/// Reads an `nn.Linear(in_features, out_features)` layer from safetensors
/// bytes held in memory, as [`load_linear`] does from a file; `path` names
/// the source in errors.
///
/// # Errors
/// As [`load_linear`], except that there is no file to fail to read.
///
/// ```
/// use models::Linear;
/// use std::path::Path;
/// let layer = Linear::<f64>::new(3, 2, false, &mut train::seeded(0))?;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.safetensors");
/// train::checkpoint::save_linear(&path, &layer)?;
/// let bytes = std::fs::read(&path)?;
/// let back = train::checkpoint::load_linear_bytes::<f64>(&bytes, Path::new("in memory"), 2, 3, false)?;
/// assert_eq!(back, layer);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn load_linear_bytes<T: Element>(
    bytes: &[u8],
    path: &Path,
    out_features: usize,
    in_features: usize,
    bias: bool,
) -> Result<Linear<T>, CheckpointError> {
    let options = LoadOptions {
        prefix: None,
        no_bias: !bias,
    };
    Ok(load_checkpoint_bytes(bytes, path, out_features, in_features, &options)?.layer)
}

fn read_tensor<T: Element>(
    path: &Path,
    st: &SafeTensors<'_>,
    name: &str,
    shape: &[usize],
) -> Result<Tensor<T>, CheckpointError> {
    let view = st.tensor(name).map_err(|_| CheckpointError::Missing {
        path: path.to_path_buf(),
        name: name.to_owned(),
        found: inventory(st),
    })?;
    if view.shape() != shape {
        return Err(CheckpointError::Shape {
            path: path.to_path_buf(),
            name: name.to_owned(),
            shape: ShapeError::new(
                "load_checkpoint",
                "the model's tensor vs the file's",
                shape,
                view.shape(),
            ),
        });
    }
    let raw: Vec<f64> = match view.dtype() {
        Dtype::F32 => view
            .data()
            .chunks_exact(4)
            .map(|c| f64::from(f32::from_le_bytes(c.try_into().expect("4 bytes"))))
            .collect(),
        Dtype::F64 => view
            .data()
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().expect("8 bytes")))
            .collect(),
        other => {
            return Err(CheckpointError::Dtype {
                path: path.to_path_buf(),
                name: name.to_owned(),
                dtype: format!("{other:?}"),
            });
        }
    };
    let data: Vec<T> = raw.iter().map(|&v| T::from_f64(v)).collect();
    // Finite in `T`, not only in the file: an f64 beyond f32's range would
    // become an infinity in an f32 model.
    if let Some(index) = data.iter().position(|v| !v.to_f64().is_finite()) {
        return Err(CheckpointError::NonFinite {
            path: path.to_path_buf(),
            name: name.to_owned(),
            index,
            value: raw[index],
        });
    }
    Tensor::from_vec(data, shape).map_err(|e| CheckpointError::Model(e.into()))
}
