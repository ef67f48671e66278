//! The `ccelab` command. Everything is in the library's [`ccelab::cli`].

fn main() {
    raise_descriptor_limit();
    std::process::exit(ccelab::cli::main(std::env::args_os()));
}

/// Lets the process hold as many sockets as the system allows it: the soft
/// descriptor limit raised to the hard one. Every listener caps its
/// connections, and together the caps stay below the limit, so one flooded
/// listener leaves the others (and the control API) answering.
fn raise_descriptor_limit() {
    let mut l = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit and setrlimit are given a valid rlimit
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut l) == 0 && l.rlim_cur < l.rlim_max {
            l.rlim_cur = l.rlim_max;
            let _ = libc::setrlimit(libc::RLIMIT_NOFILE, &l);
        }
    }
}
