//! The process's active contexts, behind [`StreamingContext::get_active`] (Spark keeps the same
//! in `StreamingContext.activeContext`).
//!
//! A notebook kernel (evcxr) links a copy of this crate into every cell, so a plain `static`
//! would exist once per cell, and a cell could not find the context an earlier cell started. The
//! registry is therefore allocated once per process, and its address kept in an environment
//! variable, the one store every copy of the crate in the process shares. The variable's name
//! holds this build's version, features and the size of the types it points to (copies built
//! differently keep registries of their own), its value the process id (a child process, which
//! inherits the environment, does not trust it).

use crate::context::{ContextShared, ContextState, StreamingContext};
use std::sync::{Arc, Mutex, OnceLock, Weak};

#[derive(Default)]
struct Registry {
    /// Started, not yet stopped, oldest first.
    contexts: Mutex<Vec<Weak<ContextShared>>>,
}

fn key() -> String {
    format!(
        "DSTREAM_ACTIVE_CONTEXTS_{}_{}_{}_{}",
        env!("CARGO_PKG_VERSION").replace('.', "_"),
        if cfg!(feature = "kafka") { "kafka" } else { "plain" },
        std::mem::size_of::<ContextShared>(),
        std::mem::size_of::<Registry>(),
    )
}

fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<&'static Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let (key, pid) = (key(), std::process::id());
        let found = std::env::var(&key).ok().and_then(|value| {
            let (owner, address) = value.split_once(':')?;
            if owner.parse::<u32>().ok()? != pid {
                return None;
            }
            usize::from_str_radix(address, 16).ok()
        });
        if let Some(address) = found {
            // SAFETY: the address was written below by a copy of this very build (same version,
            // features and type sizes, as the key says) in this process (same pid), from a
            // registry leaked on purpose: it lives as long as the process.
            return unsafe { &*(address as *const Registry) };
        }
        let registry: &'static Registry = Box::leak(Box::default());
        // SAFETY: `set_var` must not race with another thread reading the environment. This runs
        // once per process and build, when the first context starts or is looked for: no thread
        // of this crate exists yet, and the threads of a notebook or a program reading the
        // environment at that very moment are not ours to rule out; the risk is that of any
        // program calling `set_var` at start-up.
        unsafe { std::env::set_var(&key, format!("{pid}:{:x}", registry as *const Registry as usize)) };
        registry
    })
}

fn contexts() -> std::sync::MutexGuard<'static, Vec<Weak<ContextShared>>> {
    registry().contexts.lock().unwrap_or_else(|e| e.into_inner())
}

/// A context has started.
pub(crate) fn register(ctx: &Arc<ContextShared>) {
    let mut contexts = contexts();
    contexts.retain(|c| c.strong_count() > 0);
    contexts.push(Arc::downgrade(ctx));
}

/// A context has stopped.
pub(crate) fn unregister(ctx: &ContextShared) {
    contexts().retain(|c| c.strong_count() > 0 && !std::ptr::eq(c.as_ptr(), ctx));
}

/// The most recently started context that is still active.
pub(crate) fn latest() -> Option<StreamingContext> {
    let contexts = contexts().clone();
    contexts
        .iter()
        .rev()
        .filter_map(Weak::upgrade)
        .find(|ctx| ctx.lock().phase == ContextState::Active)
        .map(|ctx| StreamingContext::from_shared(&ctx))
}
