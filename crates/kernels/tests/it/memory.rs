//! `advise_huge_pages`: a hint that leaves the buffer as it was.

use kernels::advise_huge_pages;

#[test]
fn small_buffers_are_left_alone() {
    assert!(!advise_huge_pages(&[0u8; 0]));
    assert!(!advise_huge_pages(&vec![1u8; (8 << 20) - 1]));
    // The size counts bytes, not elements: 2M f32 are 8 MiB.
    assert!(!advise_huge_pages(&vec![0f32; (2 << 20) - 1]));
}

#[test]
fn a_large_buffer_is_advised_and_unchanged() {
    // An odd start and length: only the whole pages inside are advised.
    let buf: Vec<u8> = (0..(24 << 20) + 3).map(|i| (i * 7 % 251) as u8).collect();
    let before = buf.clone();
    let accepted = advise_huge_pages(&buf[1..]);
    // Linux with transparent huge pages compiled in accepts the hint
    // (whatever the system-wide mode); elsewhere it is not given.
    let thp = std::path::Path::new("/sys/kernel/mm/transparent_hugepage").exists();
    assert_eq!(accepted, cfg!(target_os = "linux") && thp);
    assert!(buf == before);
}
