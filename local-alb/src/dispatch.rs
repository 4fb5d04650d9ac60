//! The hand-off between the HTTP front and the function instances.
//!
//! Invocations wait in one queue; an instance's `/next` takes the oldest. Each
//! instance has a `Slot` that holds at most one invocation in flight, which is what
//! lets a crash or a timeout be answered (502) for exactly the right client.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use hyper::body::Bytes;
use tokio::sync::{mpsc, oneshot, watch, Notify};

/// How an invocation ended, as far as the client is concerned.
#[derive(Debug)]
pub enum Outcome {
    /// The function posted a response payload (still to be validated).
    Response(Bytes),
    /// The function posted to `/error`.
    FunctionError { error_type: String, body: Bytes },
    /// The invocation could not complete; the text says why.
    Failed(String),
}

pub struct Invocation {
    pub id: String,
    pub payload: Bytes,
    pub trace_id: String,
    pub reply: oneshot::Sender<Outcome>,
}

/// Invocations not yet taken by any instance, oldest first.
#[derive(Default)]
pub struct Queue {
    items: Mutex<VecDeque<Invocation>>,
    ready: Notify,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding these locks cannot leave the data inconsistent
    // (every critical section is a single push/pop/replace), so poisoning is ignored.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Queue {
    pub fn push(&self, inv: Invocation) {
        lock(&self.items).push_back(inv);
        self.ready.notify_one();
    }

    /// Puts back an invocation that was taken by an instance that has since died.
    pub fn push_front(&self, inv: Invocation) {
        lock(&self.items).push_front(inv);
        self.ready.notify_one();
    }

    /// Waits for the oldest invocation whose client is still waiting. Cancel-safe:
    /// tokio hands an unconsumed `notify_one` on to the next waiter when this is dropped.
    pub async fn pop(&self) -> Invocation {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(inv) = self.take_live() {
                return inv;
            }
            notified.await;
        }
    }

    /// The oldest invocation whose client is still waiting, without waiting.
    pub fn take_live(&self) -> Option<Invocation> {
        let mut items = lock(&self.items);
        while let Some(inv) = items.pop_front() {
            if !inv.reply.is_closed() {
                return Some(inv);
            }
        }
        None
    }
}

struct InFlight {
    id: String,
    reply: oneshot::Sender<Outcome>,
    timer: tokio::task::AbortHandle,
}

struct SlotState {
    generation: u64,
    current: Option<InFlight>,
    /// Whether this generation's process got through init to its first `/next`.
    initialized: bool,
    /// What the process posted to `/init/error`, if anything.
    init_error: Option<String>,
}

/// One function instance's place: its current invocation and its life count.
///
/// `generation` goes up each time the instance's process ends, so a `/next` still
/// pending from a dead process can tell it must not take work.
pub struct Slot {
    pub index: usize,
    state: Mutex<SlotState>,
    generation: watch::Sender<u64>,
    kill: mpsc::UnboundedSender<u64>,
}

impl Slot {
    /// The slot and the receiver on which its supervisor learns "kill generation N".
    pub fn new(index: usize) -> (Arc<Slot>, mpsc::UnboundedReceiver<u64>) {
        let (kill, kill_rx) = mpsc::unbounded_channel();
        let slot = Slot {
            index,
            state: Mutex::new(SlotState {
                generation: 0,
                current: None,
                initialized: false,
                init_error: None,
            }),
            generation: watch::channel(0).0,
            kill,
        };
        (Arc::new(slot), kill_rx)
    }

    pub fn generation(&self) -> u64 {
        lock(&self.state).generation
    }

    pub fn watch_generation(&self) -> watch::Receiver<u64> {
        self.generation.subscribe()
    }

    /// Records `inv` as this instance's invocation and starts its timeout clock.
    /// Gives it back if the process that asked (of generation `gen`) is gone.
    pub fn start(
        self: &Arc<Self>,
        gen: u64,
        inv: Invocation,
        timeout: Duration,
    ) -> Result<(), Invocation> {
        let mut state = lock(&self.state);
        if state.generation != gen {
            return Err(inv);
        }
        if let Some(old) = state.current.take() {
            // Lambda's contract is one invocation at a time; asking for the next one
            // abandons the previous.
            old.timer.abort();
            let _ = old.reply.send(Outcome::Failed(
                "the function asked for the next event without answering this one".into(),
            ));
        }
        let slot = Arc::clone(self);
        let id = inv.id.clone();
        let timer = tokio::spawn(async move {
            tokio::time::sleep(timeout).await;
            slot.time_out(&id, timeout);
        })
        .abort_handle();
        state.current = Some(InFlight {
            id: inv.id,
            reply: inv.reply,
            timer,
        });
        Ok(())
    }

    /// Ends the invocation `id` with `outcome`; false if it is not this slot's current one.
    pub fn finish(&self, id: &str, outcome: Outcome) -> bool {
        let mut state = lock(&self.state);
        match state.current.take() {
            Some(cur) if cur.id == id => {
                cur.timer.abort();
                let _ = cur.reply.send(outcome);
                true
            }
            other => {
                state.current = other;
                false
            }
        }
    }

    /// Real Lambda resets the execution environment after a timeout, so the
    /// instance is killed (and then restarted by its supervisor).
    fn time_out(&self, id: &str, timeout: Duration) {
        let gen = self.generation();
        let why = format!("the function timed out after {} s", timeout.as_secs_f64());
        if self.finish(id, Outcome::Failed(why)) {
            let _ = self.kill.send(gen);
        }
    }

    /// Notes that the process of generation `gen` finished init (it asked for work).
    pub fn mark_initialized(&self, gen: u64) {
        let mut state = lock(&self.state);
        if state.generation == gen {
            state.initialized = true;
        }
    }

    /// Records an `/init/error` and has the supervisor end the process, as Lambda
    /// discards an environment whose init failed.
    pub fn init_failed(&self, message: String) {
        let mut state = lock(&self.state);
        state.init_error = Some(message);
        let _ = self.kill.send(state.generation);
    }

    /// Called by the supervisor when the process has ended: fails its invocation
    /// and cancels any `/next` the dead process left pending.
    ///
    /// A process that died before finishing init fails one waiting invocation,
    /// as on Lambda, where init runs as part of the invocation that caused it;
    /// otherwise clients of a broken function would wait instead of seeing a 502.
    pub fn process_ended(&self, why: &str, queue: &Queue) {
        let mut state = lock(&self.state);
        state.generation += 1;
        self.generation.send_replace(state.generation);
        let failed_init = !std::mem::replace(&mut state.initialized, false);
        let init_error = state.init_error.take();
        if let Some(cur) = state.current.take() {
            cur.timer.abort();
            let _ = cur
                .reply
                .send(Outcome::Failed(format!("the function instance {why}")));
        } else if failed_init {
            if let Some(inv) = queue.take_live() {
                let why = match init_error {
                    Some(e) => format!("the function's init failed: {e}"),
                    None => format!("the function instance {why} during init"),
                };
                let _ = inv.reply.send(Outcome::Failed(why));
            }
        }
    }
}
