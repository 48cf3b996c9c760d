//! A re-entrant delivery lock: the guarantee behind "once removal returns, a callback is
//! not running and never runs again".

use std::sync::{Condvar, Mutex, PoisonError};
use std::thread::{self, ThreadId};

/// A re-entrant lock held while callbacks are delivered, and by whatever removes a
/// callback: once the remover holds it, the callback is not running on another thread and
/// never starts again. Re-entrant so a callback may change what it is called about or
/// remove itself (the auth store's listeners, pub/sub subscriptions).
#[derive(Default)]
pub(crate) struct Delivery {
    owner: Mutex<(Option<ThreadId>, usize)>,
    released: Condvar,
}

pub(crate) struct DeliveryGuard<'a>(&'a Delivery);

impl Delivery {
    pub(crate) fn lock(&self) -> DeliveryGuard<'_> {
        let me = thread::current().id();
        let mut owner = self.owner.lock().unwrap_or_else(PoisonError::into_inner);
        while owner.0.is_some_and(|t| t != me) {
            owner = self.released.wait(owner).unwrap_or_else(PoisonError::into_inner);
        }
        *owner = (Some(me), owner.1 + 1);
        DeliveryGuard(self)
    }
}

impl Drop for DeliveryGuard<'_> {
    fn drop(&mut self) {
        let mut owner = self.0.owner.lock().unwrap_or_else(PoisonError::into_inner);
        owner.1 -= 1;
        if owner.1 == 0 {
            owner.0 = None;
            self.0.released.notify_one();
        }
    }
}
