//! Where dataset files are looked for, and whether missing ones may be downloaded.

use std::path::PathBuf;

/// Environment variable naming a data directory, searched after the explicit one.
pub const DATA_DIR_ENV: &str = "DLADMM_DATA";
/// Subdirectory of the user's cache directory that holds downloaded datasets.
pub const CACHE_SUBDIR: &str = "dladmm-bench";

/// The directories searched for dataset files, in order, and the download policy.
///
/// Each directory is laid out as `<dir>/<dataset directory>/<file>`, e.g.
/// `<dir>/mnist/train-images-idx3-ubyte.gz`. A file is taken from the first directory that has
/// it and is always checked against its published SHA-256. A file found nowhere is downloaded
/// into [`DataSource::cache_dir`] if [`DataSource::allow_download`] is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataSource {
    /// Explicit data directory (the runner's `--data-dir`), searched first.
    pub data_dir: Option<PathBuf>,
    /// Data directory from the `DLADMM_DATA` environment variable, searched second.
    pub env_dir: Option<PathBuf>,
    /// Cache directory, searched last and where downloads are stored.
    pub cache_dir: Option<PathBuf>,
    /// Whether files found nowhere may be downloaded from the dataset's mirrors.
    pub allow_download: bool,
    /// Whether a download shows a progress bar on stderr (only drawn on a terminal).
    pub show_progress: bool,
}

impl DataSource {
    /// The default search path: `DLADMM_DATA` if set and not empty, then
    /// `dirs::cache_dir()/dladmm-bench`; downloads allowed, with a progress bar.
    pub fn from_env() -> Self {
        Self {
            data_dir: None,
            env_dir: std::env::var_os(DATA_DIR_ENV)
                .filter(|dir| !dir.is_empty())
                .map(PathBuf::from),
            cache_dir: dirs::cache_dir().map(|dir| dir.join(CACHE_SUBDIR)),
            allow_download: true,
            show_progress: true,
        }
    }

    /// Only the files under `dir`: no environment, no cache, no download.
    pub fn offline(dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: Some(dir.into()),
            env_dir: None,
            cache_dir: None,
            allow_download: false,
            show_progress: false,
        }
    }

    /// The same search path with `dir` searched first (no change if `None`).
    pub fn with_data_dir(mut self, dir: Option<PathBuf>) -> Self {
        if dir.is_some() {
            self.data_dir = dir;
        }
        self
    }

    /// The directories searched, in order.
    pub fn search_dirs(&self) -> Vec<PathBuf> {
        [&self.data_dir, &self.env_dir, &self.cache_dir]
            .into_iter()
            .flatten()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_order_is_explicit_then_environment_then_cache() {
        let source = DataSource {
            data_dir: Some("/explicit".into()),
            env_dir: Some("/env".into()),
            cache_dir: Some("/cache".into()),
            allow_download: true,
            show_progress: false,
        };
        let dirs: Vec<PathBuf> = ["/explicit", "/env", "/cache"].map(PathBuf::from).into();
        assert_eq!(source.search_dirs(), dirs);
    }

    #[test]
    fn with_data_dir_prepends_only_when_given() {
        let source = DataSource::offline("/a").with_data_dir(None);
        assert_eq!(source.data_dir, Some(PathBuf::from("/a")));
        let source = source.with_data_dir(Some("/b".into()));
        assert_eq!(source.search_dirs(), vec![PathBuf::from("/b")]);
    }

    #[test]
    fn from_env_caches_under_the_project_subdirectory() {
        let source = DataSource::from_env();
        if let Some(cache) = source.cache_dir {
            assert!(cache.ends_with(CACHE_SUBDIR));
        }
        assert!(source.allow_download);
    }
}
