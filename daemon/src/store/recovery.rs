//! What the store does after a storage failure: close, refuse, probe, reopen, undo (see
//! [`super`]).

use std::sync::{RwLockReadGuard, RwLockWriteGuard};

use super::fault::{StorageFault, probe, storage_error};
use super::handles::{Handles, close};
use super::{Result, Store, StoreError};

/// What a write that failed may have left in the database, to be removed when it is opened
/// again (the write was reported as failed, so it must not turn up later).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Undo {
    /// An appended chunk.
    Chunk { area: String, seq: u64 },
    /// A new area: its `areas` entry, saves and chunks.
    Area(String),
}

/// Either `db` is open and `failure` is `None`, or `failure` says why not.
pub(super) struct State {
    pub(super) db: Option<Handles>,
    pub(super) failure: Option<Failure>,
}

pub(super) struct Failure {
    /// Owed to the disk once the database is open again.
    undo: Vec<Undo>,
}

impl Store {
    pub(super) fn read_state(&self) -> RwLockReadGuard<'_, State> {
        self.shared.state.read().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn write_state(&self) -> RwLockWriteGuard<'_, State> {
        self.shared.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `op` on the open database. After a storage failure, first tries to open it again
    /// (see the module docs). An IO error from `op` becomes a [`StorageFault`]: the database is
    /// closed and what `op` pushed onto its undo list is remembered for the reopen.
    pub(super) fn run<T>(&self, op: impl FnOnce(&Handles, &mut Vec<Undo>) -> Result<T>) -> Result<T> {
        let state = self.ready()?;
        let Some(handles) = state.db.as_ref() else {
            return Err(StoreError::Corrupt("the database is not open".into()));
        };
        let mut undo = Vec::new();
        match op(handles, &mut undo) {
            Ok(value) => Ok(value),
            Err(e) => {
                let e = storage_error(&self.shared.data_dir, e);
                drop(state);
                if let StoreError::Storage(fault) = &e {
                    self.fail(fault.clone(), undo);
                }
                Err(e)
            }
        }
    }

    /// The state, with the database open and working.
    pub(super) fn ready(&self) -> Result<RwLockReadGuard<'_, State>> {
        loop {
            let state = self.read_state();
            if state.failure.is_none() {
                return Ok(state);
            }
            drop(state);
            self.recover()?;
        }
    }

    pub(super) fn fail(&self, fault: StorageFault, undo: Vec<Undo>) {
        let mut state = self.write_state();
        if let Some(handles) = state.db.take() {
            tracing::error!(error = %fault, "storage failed; writes are refused until it works again");
            close(handles);
        }
        match &mut state.failure {
            Some(failure) => failure.undo.extend(undo),
            None => state.failure = Some(Failure { undo }),
        }
    }

    /// Opens the database again if the data directory takes writes again; else answers why not.
    pub(super) fn recover(&self) -> Result<()> {
        let mut state = self.write_state();
        let State { db, failure: slot } = &mut *state;
        let Some(failure) = slot.as_ref() else { return Ok(()) };
        let attempt = probe(&self.shared.path).map_err(StoreError::Io).and_then(|()| {
            if let Some(old) = db.take() {
                close(old);
            }
            let handles = Handles::reopen(&self.shared.path)?;
            match handles.undo(&failure.undo).and_then(|()| handles.flush()) {
                Ok(()) => Ok(handles),
                Err(e) => {
                    close(handles);
                    Err(e)
                }
            }
        });
        match attempt {
            Ok(handles) => {
                tracing::warn!(undone = failure.undo.len(), "storage works again; the database is open again");
                *db = Some(handles);
                *slot = None;
                Ok(())
            }
            // The undo list stays: it is still owed.
            Err(e) => Err(storage_error(&self.shared.data_dir, e)),
        }
    }
}
