//! Claims: how concurrent runners on one store (one machine, or a shared filesystem) agree on
//! who runs a cell.
//!
//! A claim is a file `claim-N.json` in the cell directory, created with `O_EXCL` so that of
//! all runners trying to create generation N exactly one succeeds. It holds the owner's host,
//! pid, process start time and a heartbeat that a background thread refreshes. The highest
//! generation present is the cell's current claim; lower ones are leftovers the next owner
//! removes. The highest is never deleted: releasing rewrites it as released, so generations
//! only grow and a runner acting on an old listing can never create a claim beside a live one
//! (it either fails to create the generation it saw as next, or sees a higher one right after
//! creating its own and backs off).
//!
//! A claim is free when it is released, and stale when its owner is gone: on the same host
//! (same boot and pid namespace) when the pid no longer runs or now belongs to a process that
//! started later; elsewhere when its heartbeat is older than the stale age. Taking over a
//! stale claim is claiming the next generation, so it is as race-free as a first claim.
//! An owner whose heartbeat thread sees a higher generation has lost its claim (it was paused
//! longer than the stale age) and stops writing the cell.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

/// The environment variable that sets the stale age in seconds.
pub const STALE_ENV: &str = "DLADMM_CLAIM_STALE_SECONDS";

/// Default stale age: six missed heartbeats of ten seconds.
const DEFAULT_STALE_SECONDS: f64 = 60.0;

/// How often owners refresh their heartbeat and when others stop believing in it.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    /// A claim of another host whose heartbeat is older than this is stale.
    pub stale_after: Duration,
    /// How often an owner rewrites its heartbeat (a sixth of the stale age, at most 10 s).
    pub heartbeat_every: Duration,
}

impl Policy {
    /// A policy with stale age `stale_after` and a heartbeat six times as often (at most
    /// every 10 s), so a few slow writes on a busy filesystem do not look like a dead owner.
    pub fn new(stale_after: Duration) -> Self {
        Self {
            stale_after,
            heartbeat_every: (stale_after / 6).clamp(Duration::from_millis(50), Duration::from_secs(10)),
        }
    }

    /// The policy from [`STALE_ENV`] (seconds, default 60).
    pub fn from_env() -> Result<Self> {
        let seconds = match std::env::var(STALE_ENV) {
            Ok(text) => match text.trim().parse::<f64>() {
                Ok(s) if s.is_finite() && s > 0.0 => s,
                _ => bail!("{STALE_ENV}=`{text}` is not a positive number of seconds"),
            },
            Err(_) => DEFAULT_STALE_SECONDS,
        };
        Ok(Self::new(Duration::from_secs_f64(seconds)))
    }
}

/// What a claim file holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimInfo {
    /// Host name of the owner.
    pub host: String,
    /// Process id of the owner.
    pub pid: u32,
    /// Start time of the owner process in clock ticks since boot (`/proc/PID/stat` field
    /// 22), which tells a reused pid from the owner.
    #[serde(default)]
    pub process_start: Option<u64>,
    /// Boot id of the owner's host and its pid namespace: pids are comparable only when both
    /// match.
    #[serde(default)]
    pub pid_scope: Option<String>,
    /// When the claim was taken (RFC 3339, UTC).
    pub started: String,
    /// When the owner last showed it was alive (RFC 3339 with milliseconds, UTC).
    pub heartbeat: String,
    /// True once the owner let go of the cell (finished or failed).
    #[serde(default)]
    pub released: bool,
}

impl ClaimInfo {
    /// This process, now.
    fn mine() -> Self {
        let now = SystemTime::now();
        Self {
            host: host_name(),
            pid: std::process::id(),
            process_start: process_start(std::process::id()),
            pid_scope: pid_scope(),
            started: humantime::format_rfc3339_seconds(now).to_string(),
            heartbeat: humantime::format_rfc3339_millis(now).to_string(),
            released: false,
        }
    }

    /// Seconds since the last heartbeat (0 if it lies in the future or cannot be read).
    pub fn heartbeat_age(&self) -> f64 {
        humantime::parse_rfc3339_weak(&self.heartbeat)
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// "host pid N".
    pub fn owner(&self) -> String {
        format!("{} pid {}", self.host, self.pid)
    }
}

/// The state of a cell's current claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Holder {
    /// No claim file.
    Free,
    /// The owner let go.
    Released(ClaimInfo),
    /// The owner is alive, as far as can be told.
    Live(ClaimInfo),
    /// The owner is gone; the reason names it and says how that was seen.
    Stale(String),
    /// A claim file that cannot be read yet (being written) and is younger than the stale age.
    Unreadable,
}

/// The claim files of a cell directory: (generation, path), lowest first.
fn generations(dir: &Path) -> Vec<(u64, PathBuf)> {
    let mut found: Vec<(u64, PathBuf)> = fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("claim-")?.strip_suffix(".json")?.parse().ok()?;
            Some((n, e.path()))
        })
        .collect();
    found.sort();
    found
}

fn claim_path(dir: &Path, generation: u64) -> PathBuf {
    dir.join(format!("claim-{generation}.json"))
}

/// Judges the claim file `path` under `policy`.
fn judge(path: &Path, policy: &Policy) -> Holder {
    let info: Option<ClaimInfo> = fs::read(path).ok().and_then(|b| serde_json::from_slice(&b).ok());
    let Some(info) = info else {
        // Created but not yet written, or damaged: its age decides.
        let age = fs::metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok());
        return match age {
            Some(age) if age > policy.stale_after => Holder::Stale(format!(
                "unreadable claim {} for {:.0} s",
                path.display(),
                age.as_secs_f64()
            )),
            None if !path.exists() => Holder::Free,
            _ => Holder::Unreadable,
        };
    };
    if info.released {
        return Holder::Released(info);
    }
    let comparable_pids = info.host == host_name() && info.pid_scope.is_some() && info.pid_scope == pid_scope();
    if comparable_pids && Path::new("/proc/self/stat").exists() {
        return match process_start(info.pid) {
            None => Holder::Stale(format!("process {} on {} is gone", info.pid, info.host)),
            Some(start) if info.process_start.is_some_and(|s| s != start) => Holder::Stale(format!(
                "pid {} on {} now belongs to another process",
                info.pid, info.host
            )),
            Some(_) => Holder::Live(info),
        };
    }
    let age = info.heartbeat_age();
    if age > policy.stale_after.as_secs_f64() {
        Holder::Stale(format!("no heartbeat from {} for {age:.0} s", info.owner()))
    } else {
        Holder::Live(info)
    }
}

/// The current claim of the cell directory `dir` and its generation (None when there is
/// no claim file).
pub fn inspect(dir: &Path, policy: &Policy) -> (Option<u64>, Holder) {
    match generations(dir).pop() {
        None => (None, Holder::Free),
        Some((n, path)) => (Some(n), judge(&path, policy)),
    }
}

/// What [`acquire`] got.
#[derive(Debug)]
pub enum Acquired {
    /// This runner now owns the cell.
    Claimed(Claim),
    /// Another runner owns it.
    Held(Holder),
}

/// Claims the cell directory `dir` (created if missing) unless another runner holds it.
pub fn acquire(dir: &Path, policy: &Policy) -> Result<Acquired> {
    fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    // Each round either claims, finds a live holder, or lost a race for one generation to
    // a runner that is now the holder; a few rounds settle any contention.
    for _ in 0..8 {
        let (current, holder) = inspect(dir, policy);
        let (next, took_over) = match (&holder, current) {
            (Holder::Live(_) | Holder::Unreadable, _) => return Ok(Acquired::Held(holder)),
            (Holder::Stale(reason), Some(n)) => (n + 1, Some(reason.clone())),
            (_, Some(n)) => (n + 1, None),
            (_, None) => (0, None),
        };
        let path = claim_path(dir, next);
        let info = ClaimInfo::mine();
        let mut file = match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e).with_context(|| format!("creating {}", path.display())),
        };
        file.write_all(&serde_json::to_vec_pretty(&info)?)
            .and_then(|()| file.sync_all())
            .with_context(|| format!("writing {}", path.display()))?;
        drop(file);
        // A runner acting on an old listing may have recreated a removed lower generation:
        // the highest one wins, the others back off.
        if generations(dir).last().is_some_and(|(n, _)| *n > next) {
            fs::remove_file(&path).ok();
            continue;
        }
        for (n, old) in generations(dir) {
            if n < next {
                fs::remove_file(old).ok();
            }
        }
        return Ok(Acquired::Claimed(Claim::start(dir, next, info, took_over, policy)));
    }
    Ok(Acquired::Held(inspect(dir, policy).1))
}

/// A claim this runner owns; dropping it releases the cell (a killed runner's claim stays
/// and goes stale).
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
    info: ClaimInfo,
    /// Why the claim this one replaced was stale, if it was.
    pub took_over: Option<String>,
    lost: Arc<AtomicBool>,
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<std::thread::JoinHandle<()>>,
}

/// Rewrites `path` with `info` through a temporary file that only the owner of this
/// generation writes, so readers see the old or the new content.
fn rewrite(path: &Path, info: &ClaimInfo) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.new"));
    fs::write(&tmp, serde_json::to_vec_pretty(info)?)?;
    fs::rename(&tmp, path)
}

impl Claim {
    fn start(dir: &Path, generation: u64, info: ClaimInfo, took_over: Option<String>, policy: &Policy) -> Self {
        let path = claim_path(dir, generation);
        let lost = Arc::new(AtomicBool::new(false));
        let (stop, stopped) = mpsc::channel::<()>();
        let heartbeat = {
            let (dir, path, lost, every) = (dir.to_path_buf(), path.clone(), lost.clone(), policy.heartbeat_every);
            let mut info = info.clone();
            std::thread::spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    if generations(&dir).last().is_some_and(|(n, _)| *n > generation) {
                        lost.store(true, Ordering::SeqCst);
                        return;
                    }
                    info.heartbeat = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
                    // A failed write is retried at the next beat; the stale age covers a few.
                    rewrite(&path, &info).ok();
                }
            })
        };
        Self {
            path,
            info,
            took_over,
            lost,
            stop: Some(stop),
            heartbeat: Some(heartbeat),
        }
    }

    /// A flag that turns true when another runner took this claim over.
    pub fn lost_flag(&self) -> Arc<AtomicBool> {
        self.lost.clone()
    }

    /// This claim's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lets go of the cell: stops the heartbeat and marks the claim released (unless another
    /// runner has taken it over meanwhile, whose claim is then the current one).
    pub fn release(mut self) -> Result<()> {
        self.stop_heartbeat();
        self.mark_released()
    }

    fn stop_heartbeat(&mut self) {
        drop(self.stop.take());
        if let Some(h) = self.heartbeat.take() {
            h.join().ok();
        }
    }

    fn mark_released(&mut self) -> Result<()> {
        if self.lost.load(Ordering::SeqCst) || self.info.released {
            return Ok(());
        }
        self.info.released = true;
        self.info.heartbeat = humantime::format_rfc3339_millis(SystemTime::now()).to_string();
        rewrite(&self.path, &self.info).with_context(|| format!("releasing {}", self.path.display()))
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        self.stop_heartbeat();
        self.mark_released().ok();
    }
}

/// This host's name (`/proc/sys/kernel/hostname`, else `$HOSTNAME`).
pub fn host_name() -> String {
    fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown".into())
}

/// Start time of process `pid` in clock ticks since boot, or None if it does not run (or
/// the system has no `/proc`).
fn process_start(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    let after_name = &stat[stat.rfind(')')? + 1..];
    // Fields 3, 4, ... follow; the start time is field 22.
    after_name.split_whitespace().nth(19)?.parse().ok()
}

/// Boot id and pid namespace of this process: two processes can compare pids only when
/// these match (a container on the same host has its own pids).
fn pid_scope() -> Option<String> {
    let boot = fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let ns = fs::read_link("/proc/self/ns/pid").ok()?;
    Some(format!("{} {}", boot.trim(), ns.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Policy {
        Policy::new(Duration::from_secs(2))
    }

    fn write_claim(dir: &Path, generation: u64, info: &ClaimInfo) {
        fs::write(claim_path(dir, generation), serde_json::to_vec(info).unwrap()).unwrap();
    }

    /// The pid of a process that has exited.
    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn a_live_claim_holds_and_a_released_one_passes_on() {
        let dir = tempfile::tempdir().unwrap();
        let first = match acquire(dir.path(), &quick()).unwrap() {
            Acquired::Claimed(c) => c,
            other => panic!("first claim failed: {other:?}"),
        };
        assert!(matches!(
            acquire(dir.path(), &quick()).unwrap(),
            Acquired::Held(Holder::Live(_))
        ));
        first.release().unwrap();
        assert!(matches!(inspect(dir.path(), &quick()), (Some(0), Holder::Released(_))));
        match acquire(dir.path(), &quick()).unwrap() {
            Acquired::Claimed(c) => {
                assert!(c.took_over.is_none());
                assert_eq!(c.path(), claim_path(dir.path(), 1));
            }
            other => panic!("claim after release failed: {other:?}"),
        }
        assert_eq!(generations(dir.path()).len(), 1, "older generations are removed");
    }

    #[test]
    fn a_dead_process_on_this_host_is_taken_over_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut info = ClaimInfo::mine();
        info.pid = dead_pid();
        write_claim(dir.path(), 4, &info);
        // The heartbeat is fresh: only the pid check can see the owner is gone.
        match acquire(dir.path(), &Policy::new(Duration::from_secs(3600))).unwrap() {
            Acquired::Claimed(c) => {
                let reason = c.took_over.clone().expect("took over");
                assert!(reason.contains(&format!("process {} on", info.pid)), "{reason}");
                assert!(reason.contains("is gone"), "{reason}");
                assert_eq!(c.path(), claim_path(dir.path(), 5));
            }
            other => panic!("stale claim not taken over: {other:?}"),
        }
    }

    #[test]
    fn a_reused_pid_is_not_mistaken_for_the_owner() {
        let dir = tempfile::tempdir().unwrap();
        let mut info = ClaimInfo::mine();
        info.process_start = info.process_start.map(|s| s + 1);
        write_claim(dir.path(), 0, &info);
        let (_, holder) = inspect(dir.path(), &Policy::new(Duration::from_secs(3600)));
        assert!(
            matches!(holder, Holder::Stale(ref r) if r.contains("another process")),
            "{holder:?}"
        );
    }

    #[test]
    fn another_host_is_judged_by_heartbeat_age() {
        let dir = tempfile::tempdir().unwrap();
        let mut info = ClaimInfo::mine();
        info.host = "elsewhere".into();
        info.pid = dead_pid();
        write_claim(dir.path(), 0, &info);
        assert!(
            matches!(inspect(dir.path(), &quick()).1, Holder::Live(_)),
            "a fresh heartbeat is alive"
        );
        info.heartbeat = humantime::format_rfc3339_millis(SystemTime::now() - Duration::from_secs(5)).to_string();
        write_claim(dir.path(), 0, &info);
        assert!(matches!(inspect(dir.path(), &quick()).1, Holder::Stale(..)));
    }

    #[test]
    fn the_heartbeat_moves_and_a_takeover_is_noticed_by_the_loser() {
        let dir = tempfile::tempdir().unwrap();
        let policy = Policy::new(Duration::from_millis(300));
        let Acquired::Claimed(claim) = acquire(dir.path(), &policy).unwrap() else {
            panic!("no claim")
        };
        let before: ClaimInfo = serde_json::from_slice(&fs::read(claim.path()).unwrap()).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let after: ClaimInfo = serde_json::from_slice(&fs::read(claim.path()).unwrap()).unwrap();
        assert_ne!(before.heartbeat, after.heartbeat);
        assert!(!claim.lost_flag().load(Ordering::SeqCst));
        // Another runner that judged this one stale claims the next generation.
        write_claim(dir.path(), 1, &ClaimInfo::mine());
        std::thread::sleep(Duration::from_millis(200));
        assert!(claim.lost_flag().load(Ordering::SeqCst));
        drop(claim);
        let current: ClaimInfo = serde_json::from_slice(&fs::read(claim_path(dir.path(), 1)).unwrap()).unwrap();
        assert!(!current.released, "the loser must not release the winner's claim");
    }

    #[test]
    fn of_many_racing_for_a_stale_claim_exactly_one_wins() {
        let dir = tempfile::tempdir().unwrap();
        let mut info = ClaimInfo::mine();
        info.pid = dead_pid();
        write_claim(dir.path(), 0, &info);
        let policy = Policy::new(Duration::from_secs(3600));
        let barrier = std::sync::Barrier::new(8);
        let won: Vec<bool> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        match acquire(dir.path(), &policy).unwrap() {
                            // Keep the claim alive until every thread has tried.
                            Acquired::Claimed(c) => Some(c),
                            Acquired::Held(_) => None,
                        }
                    })
                })
                .collect();
            let claims: Vec<Option<Claim>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
            claims.iter().map(Option::is_some).collect()
        });
        assert_eq!(won.iter().filter(|w| **w).count(), 1, "{won:?}");
    }

    #[test]
    fn process_start_reads_this_process() {
        let mine = process_start(std::process::id()).expect("own start time");
        assert!(mine > 0);
        assert_eq!(process_start(dead_pid()), None);
    }
}
