//! Pipeline events shown as a progress bar on a terminal, and `-v` stage timings.

use indicatif::{ProgressBar, ProgressStyle};
use photo3d::progress::Event;

/// Turns pipeline events into a progress bar on a terminal and `-v` timings.
pub(crate) struct Observer {
    verbose: bool,
    bar: Option<ProgressBar>,
}

impl Observer {
    pub(crate) fn new(verbose: bool) -> Self {
        Observer { verbose, bar: None }
    }

    pub(crate) fn on(&mut self, event: Event) {
        match event {
            Event::Stage(name) => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                let bar = ProgressBar::new_spinner().with_message(name.to_string());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                self.bar = Some(bar);
            }
            Event::StageDone(name, seconds) => {
                if self.verbose {
                    self.println(&format!("{name:>24}: {seconds:7.3} s"));
                }
            }
            Event::Frames { video, done, total } => {
                if let Some(bar) = &self.bar {
                    if bar.length() != Some(total as u64) {
                        bar.set_length(total as u64);
                        bar.set_style(
                            ProgressStyle::with_template("{msg:>24} {bar:40} {pos}/{len} frames")
                                .unwrap_or_else(|_| ProgressStyle::default_bar()),
                        );
                        bar.set_message(video.to_string());
                    }
                    bar.set_position(done as u64);
                }
            }
            Event::Warning(line) => self.println(&format!("warning: {line}")),
        }
    }

    pub(crate) fn println(&self, line: &str) {
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    pub(crate) fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
