//! Saving and loading a [`Linear`] layer's parameters as safetensors, under
//! PyTorch's `nn.Linear` names: `weight` of shape `(out, in)` and `bias` of
//! shape `(out)`, little-endian `f32` or `f64` — so
//! `model.load_state_dict(safetensors.torch.load_file(path))` reads them
//! into an `nn.Linear(in, out)` directly.

use std::fmt;
use std::path::{Path, PathBuf};

use models::Linear;
use models::autodiff::kernels::Dtype as ElemDtype;
use models::autodiff::{Element, Tensor};
use safetensors::tensor::{Dtype, TensorView};
use safetensors::{SafeTensors, serialize};

use crate::atomic::write_atomic;

/// Why a checkpoint could not be written or read. Each names the file.
#[derive(Debug)]
pub enum CheckpointError {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is not valid safetensors.
    Format {
        /// The file.
        path: PathBuf,
        /// What the safetensors reader said.
        message: String,
    },
    /// A tensor the layer needs is not in the file.
    Missing {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: &'static str,
    },
    /// A tensor has a shape other than the model's.
    Shape {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: &'static str,
        /// The shape the model needs.
        expected: Vec<usize>,
        /// The shape in the file.
        got: Vec<usize>,
    },
    /// A tensor has an element type other than `f32` or `f64`.
    Dtype {
        /// The file.
        path: PathBuf,
        /// The tensor's name.
        name: &'static str,
        /// The type in the file.
        dtype: String,
    },
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CheckpointError::Format { path, message } => {
                write!(f, "{}: not a safetensors file ({message})", path.display())
            }
            CheckpointError::Missing { path, name } => {
                write!(f, "{}: no tensor named '{name}'", path.display())
            }
            CheckpointError::Shape {
                path,
                name,
                expected,
                got,
            } => write!(
                f,
                "{}: tensor '{name}' has shape {got:?}, but this model needs {expected:?} \
                 (the file was saved from a model of another size)",
                path.display()
            ),
            CheckpointError::Dtype { path, name, dtype } => write!(
                f,
                "{}: tensor '{name}' holds {dtype}, expected F32 or F64",
                path.display()
            ),
        }
    }
}

impl std::error::Error for CheckpointError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CheckpointError::Io { source, .. } => Some(source),
            _ => None,
        }
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
/// the same directory, renamed over `path`).
///
/// # Errors
/// [`CheckpointError::Io`] if the file cannot be written.
///
/// ```
/// use models::Linear;
/// use rand::SeedableRng;
/// let layer = Linear::<f32>::new(3, 2, true, &mut rand::rngs::StdRng::seed_from_u64(0))?;
/// let dir = tempfile::tempdir()?;
/// let path = dir.path().join("model.safetensors");
/// train::checkpoint::save_linear(&path, &layer)?;
/// let back = train::checkpoint::load_linear::<f32>(&path, 2, 3, true)?;
/// assert_eq!(back, layer);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn save_linear<T: Element>(path: &Path, layer: &Linear<T>) -> Result<(), CheckpointError> {
    let io = |source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
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
        .map_err(|e| CheckpointError::Format {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    let bytes = serialize(views, None).map_err(|e| CheckpointError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    write_atomic(path, |w| w.write_all(&bytes)).map_err(io)
}

/// Reads an `nn.Linear(in_features, out_features)` layer saved by
/// [`save_linear`] (or by PyTorch's safetensors), converting `f32`/`f64` to
/// `T`; without `bias` a bias in the file is ignored.
///
/// # Errors
/// [`CheckpointError::Shape`] if a tensor's shape is not the model's
/// (naming both shapes); [`CheckpointError::Missing`],
/// [`CheckpointError::Dtype`], [`CheckpointError::Format`],
/// [`CheckpointError::Io`].
pub fn load_linear<T: Element>(
    path: &Path,
    out_features: usize,
    in_features: usize,
    bias: bool,
) -> Result<Linear<T>, CheckpointError> {
    let bytes = std::fs::read(path).map_err(|source| CheckpointError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    load_linear_bytes(&bytes, path, out_features, in_features, bias)
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
/// use rand::SeedableRng;
/// use std::path::Path;
/// let layer = Linear::<f64>::new(3, 2, false, &mut rand::rngs::StdRng::seed_from_u64(0))?;
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
    let st = SafeTensors::deserialize(bytes).map_err(|e| CheckpointError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })?;
    let weight = read_tensor::<T>(path, &st, "weight", &[out_features, in_features])?;
    let bias = if bias {
        Some(read_tensor::<T>(path, &st, "bias", &[out_features])?)
    } else {
        None
    };
    Linear::from_parameters(weight, bias).map_err(|e| CheckpointError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}

fn read_tensor<T: Element>(
    path: &Path,
    st: &SafeTensors<'_>,
    name: &'static str,
    shape: &[usize],
) -> Result<Tensor<T>, CheckpointError> {
    let view = st.tensor(name).map_err(|_| CheckpointError::Missing {
        path: path.to_path_buf(),
        name,
    })?;
    if view.shape() != shape {
        return Err(CheckpointError::Shape {
            path: path.to_path_buf(),
            name,
            expected: shape.to_vec(),
            got: view.shape().to_vec(),
        });
    }
    let data: Vec<T> = match view.dtype() {
        Dtype::F32 => view
            .data()
            .chunks_exact(4)
            .map(|c| {
                T::from_f64(f64::from(f32::from_le_bytes(
                    c.try_into().expect("4 bytes"),
                )))
            })
            .collect(),
        Dtype::F64 => view
            .data()
            .chunks_exact(8)
            .map(|c| T::from_f64(f64::from_le_bytes(c.try_into().expect("8 bytes"))))
            .collect(),
        other => {
            return Err(CheckpointError::Dtype {
                path: path.to_path_buf(),
                name,
                dtype: format!("{other:?}"),
            });
        }
    };
    Tensor::from_vec(data, shape).map_err(|e| CheckpointError::Format {
        path: path.to_path_buf(),
        message: e.to_string(),
    })
}
