//! Progress of a run as events (for progress bars and logs) and the time
//! spent per stage; every stage may report through these without knowing who listens.

use serde::Serialize;
use std::time::Instant;

/// Progress of a run, for progress bars and logs.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// A stage starts.
    Stage(&'a str),
    /// A stage ended after `seconds`.
    StageDone(&'a str, f64),
    /// `done` of `total` frames of a video are written.
    Frames {
        video: &'a str,
        done: usize,
        total: usize,
    },
    /// Something went wrong but the run goes on (one line).
    Warning(&'a str),
}

/// Seconds spent per stage, in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings(pub Vec<(String, f64)>);

impl Timings {
    /// Runs `f` as stage `name`, recording its time and telling the observer;
    /// `f` gets the observer back for progress of its own.
    pub fn stage<T>(
        &mut self,
        name: &str,
        observer: &mut dyn FnMut(Event),
        f: impl FnOnce(&mut dyn FnMut(Event)) -> T,
    ) -> T {
        observer(Event::Stage(name));
        let start = Instant::now();
        let value = f(observer);
        let seconds = start.elapsed().as_secs_f64();
        observer(Event::StageDone(name, seconds));
        self.0.push((name.to_string(), seconds));
        value
    }

    pub fn total(&self) -> f64 {
        self.0.iter().map(|(_, s)| s).sum()
    }
}
