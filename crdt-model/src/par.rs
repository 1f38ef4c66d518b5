//! Work shared out among the cores, for reads that are CPU-bound per item (an area's figures, a
//! day of history): scoped threads, the results in the items' order.

/// `f` over `items` on as many threads as there are cores (at most one per item), the results
/// in the items' order. Items are dealt out in turn (item `i` to worker `i % workers`), so
/// neighbouring items of similar cost land on different cores.
pub fn map<I: Sync, R: Send>(items: &[I], f: impl Fn(&I) -> R + Sync) -> Vec<R> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(items.len()).max(1);
    if workers == 1 {
        return items.iter().map(f).collect();
    }
    let f = &f;
    std::thread::scope(|s| {
        let parts: Vec<_> = (0..workers)
            .map(|w| s.spawn(move || items.iter().skip(w).step_by(workers).map(f).collect::<Vec<R>>()))
            .collect();
        let mut parts: Vec<std::vec::IntoIter<R>> =
            parts.into_iter().map(|p| p.join().expect("a worker panicked").into_iter()).collect();
        (0..items.len()).map(|i| parts[i % workers].next().expect("one result per item")).collect()
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u64> = (0..1000).collect();
        assert_eq!(super::map(&items, |x| x * 2), items.iter().map(|x| x * 2).collect::<Vec<_>>());
        assert!(super::map(&Vec::<u8>::new(), |x| *x).is_empty());
    }
}
