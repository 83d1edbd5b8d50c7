//! Known depth models: where they are published, how they are checked, and
//! the cache folder they are downloaded into (verified before they are kept).

use crate::depth::neural::Architecture;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// One downloadable model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelInfo {
    /// Name used on the command line.
    pub name: &'static str,
    /// File name in the cache folder.
    pub file: &'static str,
    /// Where the file is published.
    pub url: &'static str,
    /// Published size, rounded (the download is checked by its SHA-256; the
    /// size only caps it, see [`max_download_bytes`]).
    pub approx_bytes: u64,
    /// Lower-case hex SHA-256 of the file.
    pub sha256: &'static str,
    /// False when the checksum comes from a third party and still needs confirming
    /// against the publisher.
    pub sha256_confirmed: bool,
    pub licence: &'static str,
    /// Pre- and post-processing the model expects.
    pub architecture: Architecture,
}

/// The models `photo3d models` knows.
pub const MODELS: [ModelInfo; 2] = [
    ModelInfo {
        name: "depth-anything-v2-small",
        file: "depth-anything-v2-small.onnx",
        url: "https://huggingface.co/onnx-community/depth-anything-v2-small/resolve/main/onnx/model.onnx",
        approx_bytes: 99_100_000,
        // Git LFS pointer of onnx/model.onnx on the hub.
        sha256: "afb6a5c28f3b6bf1618c6e43f02073ef9dfdc70e937502d51603e57b0a1df10c",
        sha256_confirmed: true,
        licence: "Apache-2.0",
        architecture: Architecture::DepthAnythingV2,
    },
    ModelInfo {
        name: "midas-v21-small",
        file: "midas-v21-small.onnx",
        url: "https://github.com/isl-org/MiDaS/releases/download/v2_1/model-small.onnx",
        approx_bytes: 66_000_000,
        // The release publishes no checksum; this one is pinned by a third-party
        // project that downloads the same asset.
        sha256: "2d8c6cb8f415229daf1eb041024208e2608c9f98e17c81cc7c6ecb449c56fd58",
        sha256_confirmed: false,
        licence: "MIT",
        architecture: Architecture::MidasV21Small,
    },
];

/// Set to 1, lets downloads use plain http to a loopback address (127.0.0.1,
/// ::1, localhost): for tests with a local server. Everything else is https only.
pub const ALLOW_LOOPBACK_HTTP_ENV: &str = "PHOTO3D_ALLOW_LOOPBACK_HTTP";

/// A download that receives nothing for this long is abandoned.
pub const STALL_TIMEOUT: Duration = Duration::from_secs(60);

/// Most bytes accepted for `info`: its published size plus 10 % and 1 MiB, so a
/// wrong or endless server cannot fill the disk before the checksum is checked.
pub fn max_download_bytes(info: &ModelInfo) -> u64 {
    info.approx_bytes + info.approx_bytes / 10 + (1 << 20)
}

/// Refuses a URL that is not https, unless it is http to a loopback host and
/// `allow_loopback_http` is set.
pub fn check_url(url: &str, allow_loopback_http: bool) -> Result<(), String> {
    if url.starts_with("https://") {
        return Ok(());
    }
    let loopback = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://[::1]",
        "http://localhost:",
        "http://localhost/",
    ]
    .iter()
    .any(|prefix| url.starts_with(prefix));
    if loopback && allow_loopback_http {
        return Ok(());
    }
    Err(format!(
        "only https downloads are allowed (plain http only to a loopback address with {ALLOW_LOOPBACK_HTTP_ENV}=1)"
    ))
}

/// Environment variable that replaces the cache folder.
pub const CACHE_DIR_ENV: &str = "PHOTO3D_CACHE_DIR";
/// Environment variable that replaces the download host: files are fetched
/// from `<base>/<file name>` (mirrors, offline tests).
pub const BASE_URL_ENV: &str = "PHOTO3D_MODEL_BASE_URL";

/// Why a model could not be found, fetched or kept.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unknown model {0:?} (known: {known})", known = known_names())]
    Unknown(String),
    #[error("no cache folder on this platform; set {CACHE_DIR_ENV}")]
    NoCacheDir,
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{url}: download failed: {message}")]
    Download { url: String, message: String },
    #[error("{url}: download truncated: {got} of {expected} bytes")]
    Truncated {
        url: String,
        got: u64,
        expected: u64,
    },
    #[error("{url}: SHA-256 is {actual}, expected {expected}; file discarded")]
    Checksum {
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{path}: cached model {name} failed verification (SHA-256 is {actual}, expected {expected}); not used, fetch it again with `photo3d models fetch {name}`")]
    CachedChecksum {
        path: PathBuf,
        name: String,
        expected: String,
        actual: String,
    },
    #[error("model {name} is not in the cache ({path}) and --offline forbids fetching it")]
    Offline { name: String, path: PathBuf },
}

fn known_names() -> String {
    MODELS.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

/// The registry entry called `name`.
pub fn find_model(name: &str) -> Result<&'static ModelInfo, ModelError> {
    MODELS
        .iter()
        .find(|m| m.name == name)
        .ok_or_else(|| ModelError::Unknown(name.to_string()))
}

/// The cache folder: `$PHOTO3D_CACHE_DIR`, else the platform cache dir + photo3d/models.
pub fn cache_dir() -> Result<PathBuf, ModelError> {
    match std::env::var_os(CACHE_DIR_ENV) {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir)),
        _ => dirs::cache_dir()
            .map(|d| d.join("photo3d").join("models"))
            .ok_or(ModelError::NoCacheDir),
    }
}

/// Where to download `info` from: its published URL, or `<base>/<file>`.
pub fn model_url(info: &ModelInfo, base: Option<&str>) -> String {
    match base {
        Some(base) if !base.is_empty() => format!("{}/{}", base.trim_end_matches('/'), info.file),
        _ => info.url.to_string(),
    }
}

/// The base URL from `$PHOTO3D_MODEL_BASE_URL`, if set.
pub fn base_url_from_env() -> Option<String> {
    std::env::var(BASE_URL_ENV).ok().filter(|s| !s.is_empty())
}

/// Path of `info` in `cache`, whether or not it is there.
pub fn cached_path(info: &ModelInfo, cache: &Path) -> PathBuf {
    cache.join(info.file)
}

/// Path of the record beside a cached model of when it was last verified.
fn record_path(info: &ModelInfo, cache: &Path) -> PathBuf {
    cache.join(format!(".{}.verified", info.file))
}

/// The record's line for `path` as it is now: size, modification time in
/// nanoseconds since 1970 and `sha256`.
fn record_line(path: &Path, sha256: &str) -> std::io::Result<String> {
    let meta = std::fs::metadata(path)?;
    let mtime = meta
        .modified()?
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    Ok(format!("{} {mtime} {sha256}\n", meta.len()))
}

/// Records that the cached file of `info` in `cache` holds `info.sha256` as it
/// is now, so later runs hash it again only when its size or modification time
/// change. Tests also use it to stand tiny models in for the real ones.
pub fn record_verified(info: &ModelInfo, cache: &Path) -> Result<(), ModelError> {
    let record = record_path(info, cache);
    let io_err = |source| ModelError::Io {
        path: record.clone(),
        source,
    };
    let line = record_line(&cached_path(info, cache), info.sha256).map_err(io_err)?;
    std::fs::write(&record, line).map_err(io_err)
}

/// The cached file of `info`, or None when it is not in `cache`. It is hashed
/// again unless its record matches its size and modification time; a file
/// whose hash is not the registry's is an error and is not used.
pub fn verified_cached(info: &ModelInfo, cache: &Path) -> Result<Option<PathBuf>, ModelError> {
    let path = cached_path(info, cache);
    if !path.is_file() {
        return Ok(None);
    }
    let recorded = std::fs::read_to_string(record_path(info, cache)).ok();
    if recorded.is_some() && recorded == record_line(&path, info.sha256).ok() {
        return Ok(Some(path));
    }
    let actual = hash_file(&path).map_err(|source| ModelError::Io {
        path: path.clone(),
        source,
    })?;
    if actual != info.sha256 {
        return Err(ModelError::CachedChecksum {
            path,
            name: info.name.to_string(),
            expected: info.sha256.to_string(),
            actual,
        });
    }
    // The file is verified either way; without a record (a read-only cache)
    // the next run hashes it again.
    let _ = record_verified(info, cache);
    Ok(Some(path))
}

/// Lower-case hex SHA-256 of the file at `path`.
fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut File::open(path)?, &mut hasher)?;
    Ok(hex(&hasher.finalize()))
}

/// The cached model (verified, see [`verified_cached`]), fetched first when
/// missing (unless `offline`). A cached file that fails verification is an
/// error offline and fetched again otherwise.
pub fn ensure_model(
    info: &ModelInfo,
    cache: &Path,
    base: Option<&str>,
    offline: bool,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<PathBuf, ModelError> {
    match verified_cached(info, cache) {
        Ok(Some(path)) => return Ok(path),
        Err(e) if offline => return Err(e),
        _ if offline => {
            return Err(ModelError::Offline {
                name: info.name.to_string(),
                path: cached_path(info, cache),
            })
        }
        _ => {}
    }
    fetch(info, &model_url(info, base), cache, progress)
}

/// Downloads `url` into `cache` as `info.file`: streamed to a temporary file
/// beside it, checked against `info.sha256`, then renamed. Nothing is left
/// behind on failure. `progress` gets (bytes so far, total if known).
pub fn fetch(
    info: &ModelInfo,
    url: &str,
    cache: &Path,
    progress: &mut dyn FnMut(u64, Option<u64>),
) -> Result<PathBuf, ModelError> {
    let io_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ModelError::Io { path, source }
    };
    std::fs::create_dir_all(cache).map_err(io_err(cache))?;
    let target = cached_path(info, cache);
    let part_path = cache.join(format!(".{}.{}.part", info.file, std::process::id()));
    let (part, mut file) = PartFile::create(part_path)?;
    let download = |message: String| ModelError::Download {
        url: url.to_string(),
        message,
    };
    let allow_http = std::env::var(ALLOW_LOOPBACK_HTTP_ENV).is_ok_and(|v| v == "1");
    check_url(url, allow_http).map_err(download)?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        // A redirect to plain http is refused as well, unless testing on loopback.
        .https_only(!allow_http)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(STALL_TIMEOUT))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| download(e.to_string()))?;
    let expected = response.body().content_length();
    let cap = max_download_bytes(info);
    let too_big = || {
        download(format!(
            "more than {cap} bytes, the most expected for {}",
            info.name
        ))
    };
    if expected.is_some_and(|e| e > cap) {
        return Err(too_big());
    }
    let mut reader = response.into_body().into_reader();
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut got = 0u64;
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(download(e.to_string())),
        };
        hasher.update(&buffer[..n]);
        file.write_all(&buffer[..n]).map_err(io_err(&part.path))?;
        got += n as u64;
        if got > cap {
            return Err(too_big());
        }
        progress(got, expected);
    }
    if let Some(expected) = expected.filter(|&e| e != got) {
        return Err(ModelError::Truncated {
            url: url.to_string(),
            got,
            expected,
        });
    }
    let actual = hex(&hasher.finalize());
    if actual != info.sha256 {
        return Err(ModelError::Checksum {
            url: url.to_string(),
            expected: info.sha256.to_string(),
            actual,
        });
    }
    file.sync_all().map_err(io_err(&part.path))?;
    drop(file);
    part.commit(&target)?;
    record_verified(info, cache)?;
    Ok(target)
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A download in progress; removed when dropped before `commit`.
struct PartFile {
    path: PathBuf,
    done: bool,
}

impl PartFile {
    fn create(path: PathBuf) -> Result<(PartFile, File), ModelError> {
        let file = File::create(&path).map_err(|source| ModelError::Io {
            path: path.clone(),
            source,
        })?;
        Ok((PartFile { path, done: false }, file))
    }

    fn commit(mut self, target: &Path) -> Result<(), ModelError> {
        std::fs::rename(&self.path, target).map_err(|source| ModelError::Io {
            path: target.to_path_buf(),
            source,
        })?;
        self.done = true;
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if !self.done {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_is_well_formed() {
        for m in &MODELS {
            assert_eq!(find_model(m.name).unwrap(), m);
            assert_eq!(m.sha256.len(), 64);
            assert!(m
                .sha256
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
            assert!(m.url.starts_with("https://"));
        }
        let err = find_model("nope").unwrap_err().to_string();
        assert!(err.contains("depth-anything-v2-small"), "{err}");
    }

    #[test]
    fn base_url_replaces_host() {
        let m = &MODELS[1];
        assert_eq!(
            model_url(m, Some("http://127.0.0.1:9/m/")),
            "http://127.0.0.1:9/m/midas-v21-small.onnx"
        );
        assert_eq!(model_url(m, None), m.url);
    }

    #[test]
    fn only_https_or_allowed_loopback_http_is_fetched() {
        assert!(check_url("https://example.com/m.onnx", false).is_ok());
        assert!(check_url("http://example.com/m.onnx", true).is_err());
        assert!(check_url("http://127.0.0.1.example.com/m", true).is_err());
        assert!(check_url("http://127.0.0.1:9/m.onnx", false).is_err());
        assert!(check_url("http://127.0.0.1:9/m.onnx", true).is_ok());
        assert!(check_url("ftp://127.0.0.1/m.onnx", true).is_err());
    }

    #[test]
    fn hex_is_lower_case_two_digits() {
        assert_eq!(hex(&[0, 0xab, 0x0f]), "00ab0f");
    }
}
