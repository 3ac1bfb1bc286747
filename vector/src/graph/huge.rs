//! The graph's large arrays on transparent huge pages.
//!
//! A walk reads the codes, vectors and neighbour lists of its nodes at random across arrays of
//! tens of megabytes: with 4 KiB pages nearly every such read also misses the TLB, and under
//! virtualisation a page walk costs several more memory reads. So a batch insert reserves the
//! arrays for the whole batch first and advises the kernel to back them with huge pages
//! (`madvise(MADV_HUGEPAGE)`) before they are written. With Linux's usual setting
//! (`/sys/kernel/mm/transparent_hugepage/enabled` = `madvise`) that gives them 2 MiB pages; with
//! `always` it changes nothing, with `never` the advice is ignored, and on other systems it is not
//! given. The advice never changes the memory's contents, only how it is paged.

/// Reserves room for `additional` more elements in `v`; if that moved or grew the allocation,
/// advises the kernel to back it with huge pages (module docs).
pub(super) fn reserve<T>(v: &mut Vec<T>, additional: usize) {
    let before = (v.as_ptr(), v.capacity());
    v.reserve(additional);
    if (v.as_ptr(), v.capacity()) != before {
        // The whole allocation: the advice must precede the writes into the spare capacity.
        advise(v.as_ptr().cast(), v.capacity() * std::mem::size_of::<T>());
    }
}

/// Smallest range worth advising: one huge page (2 MiB on x86-64 and arm64 Linux).
#[cfg(target_os = "linux")]
const HUGE_PAGE: usize = 2 << 20;

/// Advises huge pages for the whole 4 KiB pages of the `len` bytes at `ptr` (so only memory of
/// that allocation), if they span at least one huge page.
#[cfg(target_os = "linux")]
fn advise(ptr: *const u8, len: usize) {
    const PAGE: usize = 4096;
    let start = ptr.addr().next_multiple_of(PAGE);
    let end = (ptr.addr() + len) / PAGE * PAGE;
    if end < start + HUGE_PAGE {
        return;
    }
    #[allow(unsafe_code)]
    // SAFETY: `[start, end)` lies within one live allocation, owned by the caller's `Vec`;
    // MADV_HUGEPAGE changes only how the kernel pages that range, never its contents, and a
    // failure (a kernel without transparent huge pages, say) leaves the memory as it was, so the
    // result is ignored.
    unsafe {
        libc::madvise(
            ptr.wrapping_add(start - ptr.addr()).cast_mut().cast(),
            end - start,
            libc::MADV_HUGEPAGE,
        );
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_: *const u8, _: usize) {}

#[cfg(test)]
mod tests {
    #[test]
    fn reserve_keeps_contents_and_makes_room() {
        // Small (no advice) and large (advised: 16 MiB) reservations, growing a filled vector.
        let mut v: Vec<u32> = (0..1000).collect();
        for additional in [10, 4 << 20, 1] {
            let len = v.len();
            super::reserve(&mut v, additional);
            assert!(v.capacity() >= len + additional);
            v.extend((len as u32..).take(additional));
            assert!(v.iter().enumerate().all(|(i, &x)| x == i as u32));
        }
    }
}
